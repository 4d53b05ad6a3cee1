"""Every ``/v2`` route in ``route_table()`` refuses a missing token (401) and, when it can
change something, a read-only token (403): a new endpoint cannot forget auth."""

from __future__ import annotations

import re
import uuid

import pytest
from starlette.routing import Route

from dockyard.api.app import route_table
from dockyard.api.auth import PUBLIC_PREFIXES, is_write
from tests.api.conftest import assert_do_error, minimal_spec
from tests.conftest import Dockyard

PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


def guarded() -> list[tuple[str, str]]:
    """(method, path template) of every route that needs a token."""
    found = []
    for route in route_table():
        path = getattr(route, "path", "")
        if not path.startswith("/v2") or path.startswith(PUBLIC_PREFIXES):
            continue
        assert isinstance(route, Route), f"{path}: only plain Routes can be walked"
        found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


ROUTES = guarded()
WRITES = [(m, p) for m, p in ROUTES if is_write(m, p)]


@pytest.fixture(scope="module")
def real(dockyard: Dockyard) -> dict[str, str]:
    """Path values: a real app and deployment (dummies elsewhere), and a read-only token."""
    app = dockyard.request("POST", "/v2/apps",
                           {"spec": minimal_spec(f"walk-{uuid.uuid4().hex[:8]}")}).body["app"]
    deps = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments").body["deployments"]
    token = dockyard.request("POST", "/v2/dockyard/tokens",
                             {"name": f"walk-ro-{uuid.uuid4().hex[:6]}", "read_only": True})
    return {"app_id": app["id"], "dep_id": deps[0]["id"], "component": "site",
            "token": token.body["token"]["token"]}


def fill(template: str, real: dict[str, str]) -> str:
    return PARAM.sub(lambda m: real.get(m.group(1), f"dummy-{m.group(1)}"), template)


def test_the_walk_sees_the_api():
    paths = {p for _m, p in ROUTES}
    assert {"/v2/apps", "/v2/apps/{app_id}", "/v2/apps/regions", "/v2/apps/{app_id}/restart",
            "/v2/dockyard/whoami"} <= paths
    assert ("POST", "/v2/apps/propose") not in WRITES
    assert ("DELETE", "/v2/apps/{app_id}") in WRITES
    # a console URL opens a shell with the component's secrets: it needs a writing token
    assert ("GET", "/v2/apps/{app_id}/components/{component}/exec") in WRITES


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_no_token_is_401(dockyard: Dockyard, real: dict[str, str], method: str,
                         template: str):
    resp = dockyard.request(method, fill(template, real), token=None)
    assert_do_error(resp, 401, "unauthorized")


@pytest.mark.parametrize(("method", "template"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_read_only_token_cannot_write(dockyard: Dockyard, real: dict[str, str], method: str,
                                      template: str):
    resp = dockyard.request(method, fill(template, real), {}, token=real["token"])
    assert_do_error(resp, 403, "forbidden")


def test_read_only_token_may_validate(dockyard: Dockyard, real: dict[str, str]):
    propose = dockyard.request("POST", "/v2/apps/propose", {"spec": minimal_spec("ro-ok")},
                               token=real["token"])
    assert propose.status == 200, propose.body
    check = dockyard.request("POST", f"/v2/apps/{real['app_id']}/rollback/validate", {},
                             token=real["token"])
    assert check.status == 200 and check.body["valid"] is False, check.body
    assert dockyard.request("GET", "/v2/apps", token=real["token"]).status == 200
