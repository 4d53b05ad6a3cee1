"""The API's routes in this process: status codes, DigitalOcean's error body, and what each
request leaves in the store."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import Api, assert_do_error, minimal_spec


def test_health_answers_without_a_token(api: Api):
    resp = api.call("GET", "/healthz", token=None)
    assert resp.status_code == 200 and resp.json()["status"] == "ok"


@pytest.mark.parametrize("token", [None, "dky_not-a-token"])
def test_no_valid_token_is_401(api: Api, token: str | None):
    body = assert_do_error(api.call("GET", "/v2/apps", token=token), 401, "unauthorized")
    assert "Authorization: Bearer <token>" in body["message"]


def test_a_read_only_token_reads_and_validates_but_cannot_change(api: Api):
    app = api.create("shop")
    assert api.call("GET", f"/v2/apps/{app['id']}", token="viewer").status_code == 200
    propose = api.call("POST", "/v2/apps/propose", {"spec": minimal_spec("shop")},
                       token="viewer")
    assert propose.status_code == 200 and propose.json()["app_name_available"] is False
    for method, path in (("POST", "/v2/apps"), ("DELETE", f"/v2/apps/{app['id']}"),
                         ("POST", f"/v2/apps/{app['id']}/deployments")):
        assert_do_error(api.call(method, path, {"spec": minimal_spec("x")}, token="viewer"),
                        403, "forbidden")
    assert len(api.platform.store.list_deployments(app["id"])) == 1


@pytest.mark.parametrize(("raw", "message"), [
    (b"{not json", "request body is not valid JSON: Expecting property name enclosed in "
                   "double quotes at line 1 column 2"),
    (b"[1, 2]", "request body must be a JSON object"),
    (b"{}", 'request body needs "spec": an App Spec object'),
])
def test_a_bad_body_is_400_and_says_why(api: Api, raw: bytes, message: str):
    resp = api.call("POST", "/v2/apps", content=raw,
                    headers={"Content-Type": "application/json"})
    assert assert_do_error(resp, 400, "bad_request")["message"] == message
    assert api.platform.store.list_apps() == []


def test_an_invalid_spec_is_422_with_each_problem_located(api: Api):
    resp = api.call("POST", "/v2/apps", {"spec_yaml": "name: shop\nservices:\n  - name: Web\n"})
    body = assert_do_error(resp, 422, "unprocessable_entity")
    assert body["code"] == "spec.invalid"
    assert [(e["path"], e["line"]) for e in body["errors"]][0] == ("services[0].name", 3)
    assert api.platform.store.list_apps() == []


def test_create_answers_the_app_with_its_queued_deployment_and_webhook(api: Api):
    app = api.create("shop")
    port = api.platform.store.get_app(app["id"]).port
    assert app["live_url"] == f"http://127.0.0.1:{port}"
    assert app["in_progress_deployment"]["phase"] == "PENDING_BUILD"
    hook = app["dockyard"]["webhook"]
    assert hook["url"].endswith("/v2/webhooks/github") and len(hook["secret"]) == 40
    uuid.UUID(app["id"])


def test_an_app_is_found_by_id_or_by_name(api: Api):
    app = api.create("shop")
    assert api.call("GET", "/v2/apps/shop").json()["app"]["id"] == app["id"]
    assert api.call("GET", "/v2/apps/?name=shop").json()["app"]["id"] == app["id"]
    assert_do_error(api.call("GET", "/v2/apps/?name=nope"), 404, "not_found")
    assert_do_error(api.call("GET", f"/v2/apps/{uuid.uuid4()}"), 404, "not_found")


def test_listing_pages_with_links_and_meta(api: Api):
    for name in ("app-a", "app-b", "app-c"):  # created in order, and in name order
        api.create(name)
    first = api.call("GET", "/v2/apps?per_page=2").json()
    assert [a["spec"]["name"] for a in first["apps"]] == ["app-a", "app-b"]
    assert first["meta"] == {"total": 3} and set(first["links"]["pages"]) == {"next", "last"}
    second = api.call("GET", "/v2/apps?per_page=2&page=2").json()
    assert [a["spec"]["name"] for a in second["apps"]] == ["app-c"]
    body = assert_do_error(api.call("GET", "/v2/apps?page=two"), 400, "bad_request")
    assert body["message"] == "page and per_page must be whole numbers"


def test_a_second_app_with_the_same_name_is_409(api: Api):
    api.create("shop")
    assert_do_error(api.call("POST", "/v2/apps", {"spec": minimal_spec("shop")}),
                    409, "conflict")


def test_deployments_are_created_listed_filtered_got_and_canceled(api: Api):
    app = api.create("shop")
    created = api.call("POST", f"/v2/apps/{app['id']}/deployments", {"force_build": True})
    dep = created.json()["deployment"]
    assert dep["phase"] == "PENDING_BUILD" and dep["cause"] == "manual"
    listed = api.call("GET", f"/v2/apps/{app['id']}/deployments").json()
    assert [d["id"] for d in listed["deployments"]][0] == dep["id"]
    assert listed["meta"] == {"total": 2}
    none = api.call("GET", f"/v2/apps/{app['id']}/deployments?deployment_types=MANUAL_ROLLBACK")
    assert none.json()["deployments"] == []
    got = api.call("GET", f"/v2/apps/{app['id']}/deployments/{dep['id']}").json()["deployment"]
    assert got["spec"]["name"] == "shop" and got["log_tail"] == []
    canceled = api.call("POST", f"/v2/apps/{app['id']}/deployments/{dep['id']}/cancel")
    assert canceled.json()["deployment"]["phase"] == "CANCELED"
    assert_do_error(api.call("GET", f"/v2/apps/{app['id']}/deployments/nope"), 404,
                    "not_found")


def test_restart_names_unknown_components(api: Api):
    app = api.create("shop")
    body = assert_do_error(api.call("POST", f"/v2/apps/{app['id']}/restart",
                                    {"components": ["web"]}), 404, "not_found")
    assert body["message"] == "app shop has no component 'web'; it has: site"
    assert_do_error(api.call("POST", f"/v2/apps/{app['id']}/restart", {"components": "site"}),
                    400, "bad_request")
    ok = api.call("POST", f"/v2/apps/{app['id']}/restart", {"components": ["site"]})
    assert ok.json()["deployment"]["cause"] == "restart"


def test_rollback_of_an_app_that_never_went_live_is_not_valid(api: Api):
    app = api.create("shop")
    result = api.call("POST", f"/v2/apps/{app['id']}/rollback/validate", {}).json()
    assert result["valid"] is False and result["error"]["code"] == "rollback.no_target"
    body = assert_do_error(api.call("POST", f"/v2/apps/{app['id']}/rollback", {}), 400,
                           "bad_request")
    assert body["code"] == "rollback.no_target"


def test_a_pinned_app_refuses_deployments_with_409(api: Api):
    app = api.create("shop")
    api.platform.store.set_pin(app["id"], "some-rollback")
    body = assert_do_error(api.call("POST", f"/v2/apps/{app['id']}/deployments"), 409,
                           "conflict")
    assert body["code"] == "app_pinned"
    assert api.call("POST", f"/v2/apps/{app['id']}/rollback/commit").status_code == 200
    assert api.platform.store.get_app(app["id"]).pinned_deployment_id is None


def test_a_retried_post_with_the_same_key_deploys_once(api: Api):
    app = api.create("shop")
    headers = {"Idempotency-Key": "retry-1"}
    first = api.call("POST", f"/v2/apps/{app['id']}/deployments", headers=headers)
    again = api.call("POST", f"/v2/apps/{app['id']}/deployments", headers=headers)
    assert first.json() == again.json()
    other = api.call("POST", f"/v2/apps/{app['id']}/deployments",
                     headers={"Idempotency-Key": "retry-2"})
    assert other.json()["deployment"]["id"] != first.json()["deployment"]["id"]
    assert len(api.platform.store.list_deployments(app["id"])) == 3


def test_only_the_admin_token_manages_tokens(api: Api):
    made = api.call("POST", "/v2/dockyard/tokens", {"name": "ci", "read_only": True}).json()
    assert made["token"]["name"] == "ci" and made["token"]["token"].startswith("dky_")
    ci = made["token"]["token"]
    assert api.call("GET", "/v2/dockyard/whoami", token=ci).json() == {"name": "ci",
                                                                         "read_only": True}
    assert_do_error(api.call("DELETE", "/v2/dockyard/tokens/admin"), 400, "bad_request")
    assert_do_error(api.call("POST", "/v2/dockyard/tokens", {}), 400, "bad_request")
    writer = api.call("POST", "/v2/dockyard/tokens", {"name": "writer"}).json()["token"]
    body = assert_do_error(api.call("POST", "/v2/dockyard/tokens", {"name": "x"},
                                    token=writer["token"]), 403, "forbidden")
    assert "only the admin token can manage tokens" in body["message"]
    assert api.call("DELETE", "/v2/dockyard/tokens/ci").json() == {"name": "ci"}
    assert_do_error(api.call("GET", "/v2/apps", token=ci), 401, "unauthorized")


def test_deleting_an_app_answers_its_id_and_forgets_it(api: Api):
    app = api.create("shop")
    assert api.call("DELETE", f"/v2/apps/{app['id']}").json() == {"id": app["id"]}
    assert_do_error(api.call("GET", f"/v2/apps/{app['id']}"), 404, "not_found")
