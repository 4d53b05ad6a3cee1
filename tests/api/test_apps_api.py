"""The /v2/apps API over real HTTPS: DigitalOcean's paths, status codes and JSON shapes."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import assert_do_error, minimal_spec
from tests.conftest import Dockyard


def unique(prefix: str = "app") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("token", [None, "not-a-real-token"])
def test_requests_without_a_valid_token_get_401_with_do_error_body(dockyard: Dockyard, token):
    resp = dockyard.request("GET", "/v2/apps", token=token)
    assert_do_error(resp, 401, "unauthorized")


def test_create_get_update_delete_an_app(dockyard: Dockyard):
    name = unique()
    created = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(name)})
    assert created.status == 200, created.body
    app = created.body["app"]
    assert app["spec"]["name"] == name
    uuid.UUID(app["id"])
    assert app["live_url"].startswith("http://127.0.0.1:")

    by_id = dockyard.request("GET", f"/v2/apps/{app['id']}")
    assert by_id.body["app"]["id"] == app["id"]
    by_name = dockyard.request("GET", f"/v2/apps/?name={name}")
    assert by_name.body["app"]["id"] == app["id"]

    spec = minimal_spec(name)
    spec["region"] = "ams"
    updated = dockyard.request("PUT", f"/v2/apps/{app['id']}", {"spec": spec})
    assert updated.status == 200, updated.body
    assert updated.body["app"]["spec"]["region"] == "ams"
    assert updated.body["app"]["dockyard"]["spec_version"] == 2

    deleted = dockyard.request("DELETE", f"/v2/apps/{app['id']}")
    assert deleted.status == 200 and deleted.body == {"id": app["id"]}
    assert_do_error(dockyard.request("GET", f"/v2/apps/{app['id']}"), 404, "not_found")


def test_duplicate_app_name_is_409(dockyard: Dockyard):
    name = unique()
    assert dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(name)}).status == 200
    assert_do_error(dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(name)}),
                    409, "conflict")


def test_unknown_app_is_404_with_do_error_body(dockyard: Dockyard):
    assert_do_error(dockyard.request("GET", f"/v2/apps/{uuid.uuid4()}"), 404, "not_found")
    assert_do_error(dockyard.request("DELETE", "/v2/apps/nope-nope"), 404, "not_found")


def test_invalid_spec_is_422_naming_the_field_and_stores_nothing(dockyard: Dockyard):
    before = dockyard.request("GET", "/v2/apps").body["meta"]["total"]
    spec = minimal_spec(unique())
    spec["static_sites"][0]["routes"][0]["path"] = "static"
    resp = dockyard.request("POST", "/v2/apps", {"spec": spec})
    assert_do_error(resp, 422, "unprocessable_entity")
    assert "static_sites[0].routes[0].path" in resp.body["message"]
    assert dockyard.request("GET", "/v2/apps").body["meta"]["total"] == before


def test_malformed_json_body_is_400(dockyard: Dockyard):
    resp = dockyard.request("POST", "/v2/apps", raw=b"{not json")
    assert_do_error(resp, 400, "bad_request")


def test_list_pages_with_links_and_meta(dockyard: Dockyard):
    for _ in range(3):
        dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique("page"))})
    total = dockyard.request("GET", "/v2/apps").body["meta"]["total"]
    first = dockyard.request("GET", "/v2/apps?page=1&per_page=2").body
    assert len(first["apps"]) == 2
    assert first["meta"]["total"] == total
    assert "page=2" in first["links"]["pages"]["next"]
    last_page = -(-total // 2)
    last = dockyard.request("GET", f"/v2/apps?page={last_page}&per_page=2").body
    assert "next" not in last["links"]["pages"]
    assert "prev" in last["links"]["pages"]


def test_propose_validates_good_and_bad_specs(dockyard: Dockyard):
    good = dockyard.request("POST", "/v2/apps/propose", {"spec": minimal_spec(unique())})
    assert good.status == 200
    assert good.body["app_name_available"] is True
    assert good.body["spec"]["static_sites"][0]["name"] == "site"
    bad_spec = minimal_spec("Bad_Name")
    bad = dockyard.request("POST", "/v2/apps/propose", {"spec": bad_spec})
    assert_do_error(bad, 422, "unprocessable_entity")
    assert "name" in bad.body["message"]


def test_propose_reports_a_taken_name(dockyard: Dockyard):
    name = unique()
    dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(name)})
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": minimal_spec(name)})
    assert resp.body["app_name_available"] is False


def test_read_only_token_reads_but_cannot_change(dockyard: Dockyard):
    token = dockyard.cli("tokens", "create", unique("ro"), "--read-only",
                         "--output", "json").json()["token"]
    assert dockyard.request("GET", "/v2/apps", token=token).status == 200
    assert dockyard.request("POST", "/v2/apps/propose", {"spec": minimal_spec(unique())},
                            token=token).status == 200
    resp = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique())}, token=token)
    assert_do_error(resp, 403, "forbidden")


def test_revoked_token_is_refused(dockyard: Dockyard):
    name = unique("tok")
    token = dockyard.cli("tokens", "create", name, "--output", "json").json()["token"]
    assert dockyard.request("GET", "/v2/apps", token=token).status == 200
    dockyard.cli("tokens", "revoke", name)
    assert_do_error(dockyard.request("GET", "/v2/apps", token=token), 401, "unauthorized")


def test_create_records_a_pending_deployment(dockyard: Dockyard):
    app = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique())}).body["app"]
    deps = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments").body
    assert deps["meta"]["total"] == 1
    assert deps["deployments"][0]["phase"] in {"PENDING_BUILD", "BUILDING", "ERROR", "ACTIVE"}


def test_a_retried_post_does_its_work_once(dockyard: Dockyard):
    """pydo retries a POST after a 5xx with the same x-ms-client-request-id."""
    import json as _json
    import ssl
    import urllib.request

    app = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique())}).body["app"]
    path = f"/v2/apps/{app['id']}/deployments"
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))

    def post(request_id: str) -> dict:
        req = urllib.request.Request(dockyard.api_url + path, data=b"{}", method="POST",
                                     headers={"Authorization": f"Bearer {dockyard.admin_token}",
                                              "Content-Type": "application/json",
                                              "x-ms-client-request-id": request_id})
        with urllib.request.urlopen(req, context=ctx) as resp:
            return _json.loads(resp.read())["deployment"]

    first, again = post("req-1"), post("req-1")
    assert first["id"] == again["id"]
    other = post("req-2")
    assert other["id"] != first["id"]
    ids = {d["id"] for d in dockyard.request("GET", path).body["deployments"]}
    assert {first["id"], other["id"]} <= ids and len(ids) == 3  # initial + two
