"""The rest of DigitalOcean's /v2/apps surface: events, buildpacks, tiers, instance sizes'
bandwidth and tier paths, AUTOSCALE_EVENT logs, and deployments that carry their progress,
components and spec from the moment they exist."""

from __future__ import annotations

import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.api.deployment_view import deployment_view
from dockyard.api.routes_events import event_id
from dockyard.appspec.sizes import SIZES, tier_path
from dockyard.store import Store
from tests.api.conftest import assert_do_error, minimal_spec
from tests.api.test_apps_api import unique
from tests.conftest import Dockyard, wait_for

SERVICE_SPEC = {"name": "viewed", "services": [{"name": "web", "git": {
    "repo_clone_url": "https://example.invalid/r.git", "branch": "main"}}],
    "static_sites": [{"name": "site", "git": {
        "repo_clone_url": "https://example.invalid/r.git", "branch": "main"}}]}


def new_app(dockyard: Dockyard) -> dict:
    return dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique("par"))}).body["app"]


def fetch(dockyard: Dockyard, url: str) -> str:
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
    with urllib.request.urlopen(url, context=ctx, timeout=30) as resp:
        return resp.read().decode()


# -- deployments from the start (no server: the view over a real store) ----------------------
@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "db.sqlite")
    yield opened
    opened.close()


def test_a_new_deployment_carries_its_pending_steps_components_and_spec(store: Store):
    app = store.create_app("viewed", SERVICE_SPEC, "", [])
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="manual")
    view = deployment_view(store, dep)
    # build: initialize, web, site; deploy: initialize, web deploy+wait, site deploy+wait,
    # finalize (leaf steps, as DigitalOcean counts them)
    assert view["progress"]["total_steps"] == 9 and view["progress"]["pending_steps"] == 9
    assert [s["name"] for s in view["progress"]["steps"]] == ["build", "deploy"]
    assert view["services"] == [{"name": "web", "source_commit_hash": ""}]
    assert view["static_sites"] == [{"name": "site", "source_commit_hash": ""}]
    assert view["spec"] == SERVICE_SPEC


def test_a_restart_or_rollback_carries_the_commits_it_reuses(store: Store):
    app = store.create_app("viewed", SERVICE_SPEC, "", [])
    live = store.create_deployment(app, phase="PENDING_BUILD", cause="manual")
    store.update_deployment(live, components=[
        {"name": "web", "kind": "service", "commit": "a" * 40, "release": "/r/web"},
        {"name": "site", "kind": "static_site", "commit": "b" * 40, "release": "/r/site"}])
    again = store.create_deployment(app, phase="PENDING_BUILD", cause="restart",
                                    cloned_from=live.id)
    view = deployment_view(store, again)
    assert view["services"][0]["source_commit_hash"] == "a" * 40
    assert view["static_sites"][0]["source_commit_hash"] == "b" * 40
    assert view["cause_details"] == {"type": "MANUAL",
                                     "digitalocean_user_action": {"name": "RESTART"}}


def test_a_started_deployment_keeps_the_progress_its_worker_wrote(store: Store):
    app = store.create_app("viewed", SERVICE_SPEC, "", [])
    dep = store.create_deployment(app, phase="BUILDING", cause="manual")
    written = {"steps": [], "total_steps": 0, "success_steps": 0}
    dep = store.update_deployment(dep, progress=written)
    assert deployment_view(store, dep)["progress"] == written


@pytest.mark.slow
def test_create_deployment_answers_with_progress_components_and_spec(dockyard: Dockyard):
    app = new_app(dockyard)
    assert app["in_progress_deployment"]["progress"]["total_steps"] == 6
    dep = dockyard.request("POST", f"/v2/apps/{app['id']}/deployments", {}).body["deployment"]
    assert dep["progress"]["total_steps"] == 6 and dep["progress"]["steps"]
    assert dep["static_sites"][0]["name"] == "site"
    assert dep["spec"]["name"] == app["spec"]["name"]


# -- events -------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_deployment_is_an_event(dockyard: Dockyard):
    app = new_app(dockyard)
    dockyard.request("POST", f"/v2/apps/{app['id']}/restart", {})

    def settled() -> list[dict]:  # a deployment still under way changes between two reads
        deps = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments").body["deployments"]
        done = ("ACTIVE", "SUPERSEDED", "ERROR", "CANCELED")
        return deps if all(d["phase"] in done for d in deps) else []

    deps = wait_for(settled, "the restart to end", 180, interval=0.5)
    events = dockyard.request("GET", f"/v2/apps/{app['id']}/events").body
    assert events["meta"]["total"] == len(deps) == 2
    assert [e["deployment_id"] for e in events["events"]] == [d["id"] for d in deps]
    first = events["events"][0]
    assert first["type"] == "DEPLOYMENT" and first["id"] == event_id(deps[0]["id"])
    assert first["deployment"]["cause"] == "restart"
    one = dockyard.request("GET", f"/v2/apps/{app['id']}/events/{first['id']}").body["event"]
    assert one == first


@pytest.mark.slow
def test_event_filters_and_unknown_events(dockyard: Dockyard):
    app = new_app(dockyard)
    base = f"/v2/apps/{app['id']}/events"
    assert dockyard.request("GET", base + "?event_types=AUTOSCALING").body["events"] == []
    assert len(dockyard.request("GET", base + "?event_types=DEPLOYMENT").body["events"]) == 1
    bad = dockyard.request("GET", base + "?event_types=SCALING")
    assert_do_error(bad, 400, "bad_request")
    assert "SCALING" in bad.body["message"] and "AUTOSCALING" in bad.body["message"]
    missing = dockyard.request("GET", f"{base}/{uuid.uuid4()}")
    assert_do_error(missing, 404, "not_found")


@pytest.mark.slow
def test_canceling_an_event_cancels_its_waiting_deployment(dockyard: Dockyard):
    app = new_app(dockyard)
    dockyard.request("POST", f"/v2/apps/{app['id']}/deployments", {})
    newest = dockyard.request("GET", f"/v2/apps/{app['id']}/events").body["events"][0]
    done = dockyard.request("POST", f"/v2/apps/{app['id']}/events/{newest['id']}/cancel", {})
    assert done.status == 200 and done.body["event"]["deployment"]["phase"] in (
        "CANCELED", "ERROR")  # waiting: canceled; already failed (no such repo): unchanged
    dep = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments/"
                                  f"{newest['deployment_id']}").body["deployment"]
    assert dep["phase"] == done.body["event"]["deployment"]["phase"]


@pytest.mark.slow
def test_event_logs_and_autoscale_event_logs_are_signed_urls(dockyard: Dockyard):
    app = new_app(dockyard)
    event = dockyard.request("GET", f"/v2/apps/{app['id']}/events").body["events"][0]
    urls = dockyard.request("GET", f"/v2/apps/{app['id']}/events/{event['id']}/logs").body
    assert "type=DEPLOY" in urls["historic_urls"][0]
    scaled = dockyard.request("GET", f"/v2/apps/{app['id']}/logs?type=AUTOSCALE_EVENT").body
    assert fetch(dockyard, scaled["historic_urls"][0]) == ""
    assert fetch(dockyard, scaled["live_url"]) == ""
    bad = dockyard.request("GET", f"/v2/apps/{app['id']}/logs?type=SCALE")
    assert_do_error(bad, 400, "bad_request")
    assert "AUTOSCALE_EVENT" in bad.body["message"]


@pytest.mark.slow
def test_godo_names_the_component_in_the_query(dockyard: Dockyard):
    app = new_app(dockyard)
    ok = dockyard.request("GET", f"/v2/apps/{app['id']}/logs?type=BUILD&component_name=site")
    assert ok.status == 200 and "component=site" in ok.body["historic_urls"][0]
    bad = dockyard.request("GET", f"/v2/apps/{app['id']}/logs?type=BUILD&component_name=api")
    assert_do_error(bad, 404, "not_found")


# -- catalogues ----------------------------------------------------------------------------
def test_every_size_has_an_allowance_and_its_tier_path_leads_to_a_size_of_the_other_tier():
    by_slug = {s.slug: s for s in SIZES}
    for size in SIZES:
        assert size.bandwidth_gib > 0, size.slug
        down, up = tier_path(size)
        assert bool(down) != bool(up), size.slug  # each size moves one way
        target = by_slug[down or up]
        assert target.tier != size.tier and target.deprecated == size.deprecated, size.slug
    assert tier_path(by_slug["apps-s-1vcpu-0.5gb"]) == ("", "apps-s-1vcpu-1gb")
    assert by_slug["apps-d-8vcpu-32gb"].bandwidth_gib == 900


@pytest.mark.slow
def test_instance_sizes_carry_bandwidth_scalability_and_tier_slugs(dockyard: Dockyard):
    sizes = {s["slug"]: s for s in
             dockyard.request("GET", "/v2/apps/tiers/instance_sizes").body["instance_sizes"]}
    assert sizes["apps-s-1vcpu-1gb"]["bandwidth_allowance_gib"] == "150"
    assert sizes["apps-s-1vcpu-1gb"]["scalable"] is True
    assert sizes["apps-s-1vcpu-0.5gb"]["scalable"] is False
    assert sizes["apps-s-1vcpu-1gb"]["tier_downgrade_to"] == "apps-s-1vcpu-1gb-fixed"
    assert sizes["basic-xs"]["tier_upgrade_to"] == "professional-xs"


@pytest.mark.slow
def test_deprecated_tiers(dockyard: Dockyard):
    tiers = dockyard.request("GET", "/v2/apps/tiers").body["tiers"]
    assert [t["slug"] for t in tiers] == ["basic", "professional"]
    assert dockyard.request("GET", "/v2/apps/tiers/basic").body["tier"] == tiers[0]
    assert_do_error(dockyard.request("GET", "/v2/apps/tiers/gold"), 404, "not_found")


@pytest.mark.slow
def test_buildpacks_list_and_upgrade(dockyard: Dockyard):
    packs = dockyard.request("GET", "/v2/apps/buildpacks").body["buildpacks"]
    ids = [p["id"] for p in packs]
    assert {"dockyard/python", "dockyard/html"} <= set(ids)
    assert all(p["latest"] and p["major_version"] == 0 for p in packs)
    app = new_app(dockyard)  # its build never ran (no such repository): nothing was built
    path = f"/v2/apps/{app['id']}/upgrade_buildpack"
    none = dockyard.request("POST", path, {"buildpack_id": "html", "trigger_deployment": True})
    assert none.status == 200 and none.body == {"affected_components": []}
    unknown = dockyard.request("POST", path, {"buildpack_id": "digitalocean/php"})
    assert_do_error(unknown, 404, "not_found")
    assert "dockyard/python" in unknown.body["message"]
    newer = dockyard.request("POST", path, {"buildpack_id": "dockyard/python",
                                            "major_version": 3})
    assert_do_error(newer, 400, "bad_request")
    assert_do_error(dockyard.request("POST", path, {}), 400, "bad_request")


@pytest.mark.slow
def test_an_app_cannot_be_named_after_the_buildpacks_route(dockyard: Dockyard):
    resp = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec("buildpacks")})
    assert resp.status in (400, 422) and "reserved" in resp.body["message"]
