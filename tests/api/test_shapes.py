"""DigitalOcean's JSON shapes for apps, deployments and pages (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.api.shapes import app_json, deployment_json, page
from dockyard.release.record import ComponentRecord, InstanceRecord
from dockyard.store import App, Store

URL = "http://127.0.0.1:8123"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "d.db")
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def app(store: Store) -> App:
    return store.create_app("shop", {"name": "shop", "region": "ams"}, "name: shop\n",
                            ["a note"], port=8123)


def record(name: str, kind: str, *ports: int) -> dict:  # type: ignore[type-arg]
    return ComponentRecord(name, kind, name[0] * 40, Path(f"/r/{name}"), instances=[
        InstanceRecord(i, p, f"i-{name}-{i}") for i, p in enumerate(ports)]).to_dict()


def test_a_deployment_groups_commits_by_kind_and_lists_its_instances(store: Store, app: App):
    dep = store.create_deployment(app, phase="ACTIVE", cause="manual")
    dep = store.update_deployment(dep, components=[record("web", "service", 9001, 9002),
                                                   record("docs", "static_site")])
    body = deployment_json(dep, {"name": "shop"})
    assert body["services"] == [{"name": "web", "source_commit_hash": "w" * 40}]
    assert body["static_sites"] == [{"name": "docs", "source_commit_hash": "d" * 40}]
    assert body["dockyard"]["instances"] == [
        {"component": "web", "index": 0, "port": 9001, "program": "i-web-0"},
        {"component": "web", "index": 1, "port": 9002, "program": "i-web-1"}]
    assert (body["phase"], body["spec"]) == ("ACTIVE", {"name": "shop"})
    assert body["cause_details"] == {"type": "MANUAL",
                                     "digitalocean_user_action": {"name": "CREATE_DEPLOYMENT"}}
    assert "error" not in body and "workers" not in body


def test_a_failed_deployment_carries_its_error(store: Store, app: App):
    dep = store.create_deployment(app, phase="ERROR", cause="manual")
    dep = store.update_deployment(dep, error_code="build.command_failed",
                                  error_message="build_command exited with status 7")
    body = deployment_json(dep)
    assert body["error"] == {"code": "build.command_failed",
                             "message": "build_command exited with status 7"}
    assert body["dockyard"]["error_code"] == "build.command_failed" and "spec" not in body


def test_an_app_shows_its_live_url_region_and_deployments_by_role(store: Store, app: App):
    live = store.create_deployment(app, phase="ACTIVE", cause="first")
    running = store.create_deployment(app, phase="BUILDING", cause="second")
    queued = store.create_deployment(app, phase="PENDING_BUILD", cause="third")
    deps = store.list_deployments(app.id)
    body = app_json(app, deps, URL)
    assert (body["live_url"], body["default_ingress"], body["live_domain"]) == (
        URL, URL, "127.0.0.1:8123")
    assert body["region"]["slug"] == "local" and body["dockyard"]["requested_region"] == "ams"
    assert body["active_deployment"]["id"] == live.id
    assert body["in_progress_deployment"]["id"] == running.id
    assert body["pending_deployment"]["id"] == queued.id
    assert body["last_deployment_created_at"] == deps[0].created_at
    assert body["dockyard"]["hostnames"] == ["shop.localhost"]
    assert body["dockyard"]["notes"] == ["a note"] and "pinned_deployment" not in body


def test_a_pinned_app_shows_its_rollback(store: Store, app: App):
    pinned = store.create_deployment(app, phase="ACTIVE", cause="rollback")
    store.set_pin(app.id, pinned.id)
    body = app_json(store.get_app(app.id), store.list_deployments(app.id), URL)
    assert body["pinned_deployment"]["id"] == pinned.id
    assert "in_progress_deployment" not in body and "pending_deployment" not in body


def test_an_app_without_deployments_has_none_of_their_fields(app: App):
    body = app_json(app, [], URL)
    assert not {"active_deployment", "in_progress_deployment",
                "last_deployment_created_at"} & set(body)


@pytest.mark.parametrize(("page_no", "items", "pages"), [
    (1, [0, 1], {"next": 2, "last": 3}),
    (2, [2, 3], {"first": 1, "prev": 1, "next": 3, "last": 3}),
    (3, [4], {"first": 1, "prev": 2}),
    (4, [], {"first": 1, "prev": 3}),
])
def test_pages_link_like_digitaloceans(page_no: int, items: list, pages: dict):  # type: ignore[type-arg]
    got, links, meta = page("https://h/v2/apps?page=9", list(range(5)), page_no, 2)
    assert got == items and meta == {"total": 5}
    assert links == {"pages": {k: f"https://h/v2/apps?page={n}&per_page=2"
                               for k, n in pages.items()}}
