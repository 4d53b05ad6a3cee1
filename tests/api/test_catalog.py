"""Catalogue and per-app status endpoints: regions, instance sizes, instances, health,
restart, and Dockyard's whoami (reference do-apps-api §4.7, §4.8)."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
import uuid

import pytest

from dockyard.api.routes_catalog import DO_REGIONS, SIZES
from dockyard.appspec.enums import Region
from tests.api.conftest import assert_do_error, minimal_spec
from tests.conftest import Dockyard, Response


def new_app(dockyard: Dockyard) -> dict:
    body = {"spec": minimal_spec(f"cat-{uuid.uuid4().hex[:8]}")}
    return dockyard.request("POST", "/v2/apps", body).body["app"]


def token(dockyard: Dockyard, *, read_only: bool) -> str:
    body = {"name": f"cat-{uuid.uuid4().hex[:6]}", "read_only": read_only}
    return dockyard.request("POST", "/v2/dockyard/tokens", body).body["token"]["token"]


def post_empty_json(dockyard: Dockyard, path: str) -> Response:
    """What pydo's ``restart()`` sends: Content-Type JSON and an empty body."""
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
    req = urllib.request.Request(dockyard.api_url + path, data=b"", method="POST", headers={
        "Authorization": f"Bearer {dockyard.admin_token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
            return Response(resp.status, json.loads(resp.read()), dict(resp.headers))
    except urllib.error.HTTPError as err:
        return Response(err.code, json.loads(err.read()), dict(err.headers))


def test_catalogue_names_exactly_what_the_spec_accepts():
    from dockyard.appspec import SpecError, parse_spec_data

    def with_size(slug: str) -> dict:
        return {"name": "sizes", "services": [{
            "name": "web", "instance_size_slug": slug,
            "git": {"repo_clone_url": "https://example.invalid/r.git", "branch": "main"}}]}

    for size in SIZES:
        parse_spec_data(with_size(size.slug))
    with pytest.raises(SpecError, match="instance_size_slug"):
        parse_spec_data(with_size("apps-s-64vcpu-1tb"))
    assert len({size.slug for size in SIZES}) == len(SIZES) > 20
    assert {row[0] for row in DO_REGIONS} == {r.value for r in Region}


def test_regions_offer_this_machine_and_list_do_regions_as_disabled(dockyard: Dockyard):
    resp = dockyard.request("GET", "/v2/apps/regions")
    assert resp.status == 200, resp.body
    regions = {r["slug"]: r for r in resp.body["regions"]}
    assert regions["local"]["default"] is True and regions["local"]["disabled"] is False
    assert regions["ams"]["disabled"] is True and "this machine" in regions["ams"]["reason"]
    assert [s for s, r in regions.items() if r["default"]] == ["local"]


def test_a_spec_naming_a_do_region_is_still_accepted(dockyard: Dockyard):
    spec = minimal_spec(f"cat-{uuid.uuid4().hex[:8]}")
    spec["region"] = "fra"
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": spec})
    assert resp.status == 200 and resp.body["spec"]["region"] == "fra", resp.body


def test_instance_sizes_are_do_shaped_free_and_include_legacy_slugs(dockyard: Dockyard):
    body = dockyard.request("GET", "/v2/apps/tiers/instance_sizes").body
    sizes = {s["slug"]: s for s in body["instance_sizes"]}
    assert body["discount_percent"] == 0.0
    assert sizes["apps-s-1vcpu-0.5gb"]["memory_bytes"] == "536870912"
    assert sizes["basic-xxs"]["deprecation_intent"] is True
    for size in sizes.values():
        assert size["usd_per_month"] == "0.00"
        assert isinstance(size["cpus"], str) and size["cpus"].isdigit()
        assert isinstance(size["memory_bytes"], str) and size["memory_bytes"].isdigit()
    one = dockyard.request("GET", "/v2/apps/tiers/instance_sizes/basic-xxs")
    assert one.status == 200 and one.body["instance_size"] == sizes["basic-xxs"]


def test_unknown_instance_size_is_404_naming_it(dockyard: Dockyard):
    resp = dockyard.request("GET", "/v2/apps/tiers/instance_sizes/huge-box")
    assert_do_error(resp, 404, "not_found")
    assert "huge-box" in resp.body["message"]


def test_an_app_that_never_went_live_has_no_instances_and_no_health(dockyard: Dockyard):
    app = new_app(dockyard)
    instances = dockyard.request("GET", f"/v2/apps/{app['id']}/instances")
    assert instances.status == 200 and instances.body == {"instances": []}
    health = dockyard.request("GET", f"/v2/apps/{app['id']}/health")
    assert health.status == 200
    assert health.body["app_health"] == {"components": [], "functions_components": []}


def test_unknown_app_is_404_for_instances_health_and_restart(dockyard: Dockyard):
    missing = str(uuid.uuid4())
    for method, path in (("GET", "instances"), ("GET", "health"), ("POST", "restart")):
        resp = dockyard.request(method, f"/v2/apps/{missing}/{path}", {} if method == "POST"
                                else None)
        assert_do_error(resp, 404, "not_found")


def test_restart_with_an_empty_json_body_creates_a_restart_deployment(dockyard: Dockyard):
    app = new_app(dockyard)
    resp = post_empty_json(dockyard, f"/v2/apps/{app['id']}/restart")
    assert resp.status == 200, resp.body
    dep = resp.body["deployment"]
    assert dep["cause"] == "restart" and dep["cause_details"]["type"] == "MANUAL"
    listed = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments").body
    assert listed["deployments"][0]["id"] == dep["id"]


def test_restart_of_an_unknown_component_is_404_and_deploys_nothing(dockyard: Dockyard):
    app = new_app(dockyard)
    path = f"/v2/apps/{app['id']}/deployments"
    before = dockyard.request("GET", path).body["meta"]["total"]
    resp = dockyard.request("POST", f"/v2/apps/{app['id']}/restart", {"components": ["api"]})
    assert_do_error(resp, 404, "not_found")
    assert "'api'" in resp.body["message"] and "site" in resp.body["message"]
    assert dockyard.request("GET", path).body["meta"]["total"] == before


def test_whoami_names_the_token_used(dockyard: Dockyard):
    admin = dockyard.request("GET", "/v2/dockyard/whoami")
    assert admin.status == 200 and admin.body == {"name": "admin", "read_only": False}
    ro = dockyard.request("GET", "/v2/dockyard/whoami", token=token(dockyard, read_only=True))
    assert ro.body["read_only"] is True and ro.body["name"].startswith("cat-")


def test_only_the_admin_token_manages_tokens(dockyard: Dockyard):
    writer = token(dockyard, read_only=False)
    resp = dockyard.request("POST", "/v2/dockyard/tokens", {"name": "sneaky"}, token=writer)
    assert_do_error(resp, 403, "forbidden")
    names = [t["name"] for t in dockyard.request("GET", "/v2/dockyard/tokens").body["tokens"]]
    assert "sneaky" not in names
