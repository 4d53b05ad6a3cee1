"""Bindable variables: ``${APP_URL}``, ``${web.PUBLIC_URL}``, ``${db.DATABASE_URL}`` …"""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.appspec import parse_spec_data
from dockyard.release.bindings import Bindings, bindings_for, resolve

SOURCE = {"git": {"repo_clone_url": "/srv/app.git"}}
LIVE = "http://127.0.0.1:8123"


def spec(**extra: Any) -> Any:
    data = {"name": "shop", "services": [
        {"name": "web", **SOURCE, "routes": [{"path": "/"}]},
        {"name": "api", **SOURCE, "routes": [{"path": "/api"}, {"path": "/v2"}]}],
        "workers": [{"name": "queue", **SOURCE}], **extra}
    return parse_spec_data(data).spec


@pytest.fixture
def binds() -> Bindings:
    out = bindings_for(spec(), "app-id-1", 8123, LIVE, {"web": "abc123", "api": "def456"})
    out.databases = {"db": {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/d",
                            "HOSTNAME": "127.0.0.1"}}
    return out


@pytest.mark.parametrize(("value", "expected"), [
    ("${APP_URL}", LIVE),
    ("${APP_ID}", "app-id-1"),
    ("${APP_DOMAIN}", "127.0.0.1"),
    ("${web.PUBLIC_URL}", LIVE),
    ("${api.PUBLIC_URL}/users", f"{LIVE}/api/users"),
    ("${api.PUBLIC_ROUTE_PATH}", "/api"),
    ("${api.PRIVATE_PORT}", "8123"),
    ("${web.COMMIT_HASH}", "abc123"),
    ("${queue.COMMIT_HASH}", ""),
    ("${_self.COMMIT_HASH}", "def456"),
    ("${db.DATABASE_URL}", "postgresql://u:p@127.0.0.1:5432/d"),
    ("host=${db.HOSTNAME} app=${APP_URL}", f"host=127.0.0.1 app={LIVE}"),
])
def test_references_resolve_at_run_time(binds: Bindings, value: str, expected: str):
    assert resolve(value, binds, "api", build=False) == expected


@pytest.mark.parametrize("value", ["${UNKNOWN}", "${web.NOPE}", "${ghost.PUBLIC_URL}",
                                   "${db.NOPE}", "$APP_URL", "${a.b.c}"])
def test_unknown_references_stay_as_written(binds: Bindings, value: str):
    assert resolve(value, binds, "web", build=False) == value


def test_database_values_never_resolve_at_build_time(binds: Bindings):
    assert resolve("${db.DATABASE_URL}", binds, "web", build=True) == "${db.DATABASE_URL}"
    assert resolve("${APP_URL}", binds, "web", build=True) == LIVE


def test_a_primary_domain_is_the_app_domain():
    binds = bindings_for(spec(domains=[{"domain": "www.shop.example", "type": "ALIAS"},
                                       {"domain": "shop.example", "type": "PRIMARY"}]),
                         "id", 8123, LIVE, {})
    assert binds.app["APP_DOMAIN"] == "shop.example"


def test_a_component_without_a_route_has_no_public_url(binds: Bindings):
    assert "PUBLIC_URL" not in binds.components["queue"]
    assert binds.components["api"]["PUBLIC_ROUTE_PATH"] == "/api"  # its first route
