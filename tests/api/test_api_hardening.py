"""The API on hostile input (issue 10, defects 1, 2, 5, 6): every bad body gets a 4xx in
DigitalOcean's error shape with a plain message, nothing is stored or written, and the GitHub
webhook tells a stranger nothing."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import urllib.parse
import uuid

import pytest

from tests.api.test_apps_api import minimal_spec, unique
from tests.conftest import Dockyard, Response

pytestmark = pytest.mark.slow


def assert_plain_4xx(resp: Response, status: int | None = None) -> None:
    """DigitalOcean's error body, a message a person can read: no traceback, no file path."""
    assert 400 <= resp.status < 500, (resp.status, resp.body)
    if status is not None:
        assert resp.status == status, resp.body
    assert set(resp.body) >= {"id", "message", "request_id"}
    message = resp.body["message"]
    for leak in ("Traceback", 'File "', ".py", "site-packages", "Error:"):
        assert leak not in message, message


def post_raw(dockyard: Dockyard, path: str, raw: bytes, headers: dict[str, str] | None = None,
             token: str | None = "admin") -> Response:
    """A POST whose body is sent as given (``Dockyard.request`` would encode it)."""
    url = urllib.parse.urlsplit(dockyard.api_url)
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=60)
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = "Bearer " + (dockyard.admin_token if token == "admin" else token)
    try:
        conn.request("POST", path, body=raw, headers=sent)
        resp = conn.getresponse()
        payload = resp.read()
        return Response(resp.status, json.loads(payload) if payload.strip() else None,
                        dict(resp.getheaders()))
    finally:
        conn.close()


# -- defect 1 --------------------------------------------------------------------------------

def test_a_service_named_web_newline_is_refused_and_writes_nothing(dockyard: Dockyard):
    spec = minimal_spec(unique("nl"))
    spec["services"] = [{"name": "web\n", "git": {"repo_clone_url": "https://example.invalid/r"}}]
    before = sorted(p.name for p in (dockyard.home / "supervisor" / "programs").iterdir())
    resp = dockyard.request("POST", "/v2/apps", {"spec": spec})
    assert_plain_4xx(resp, 422)
    assert [e["path"] for e in resp.body["errors"]] == ["services[0].name"]
    assert dockyard.request("GET", f"/v2/apps/?name={spec['name']}").status == 404
    after = sorted(p.name for p in (dockyard.home / "supervisor" / "programs").iterdir())
    assert after == before


# -- defects 2 and 5 -------------------------------------------------------------------------

BAD_BODIES = {
    "not UTF-8": b'{"spec": {"name": "caf\xe9"}}',
    "UTF-16": json.dumps({"spec": minimal_spec("utf-sixteen")}).encode("utf-16"),
    "UTF-16 without a BOM": json.dumps({"spec": {"name": "ab"}}).encode("utf-16-le"),
    "JSON nested 5,000 deep": b'{"spec": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "unclosed JSON 100,000 deep": b"[" * 100_000,
    "a lone surrogate": b'{"spec": {"name": "\\ud800"}}',
    "a lone surrogate in a key": b'{"spec": {"\\udfff": 1}}',
    "YAML nested 5,000 deep": json.dumps({"spec_yaml": "name: x\nservices: " + "[" * 5000}
                                         ).encode(),
    "YAML with a lone surrogate": json.dumps({"spec_yaml": 'name: "\\ud800"\n'}).encode(),
    "an alias bomb": json.dumps({"spec_yaml": "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n"
        for p, n in zip("abcdef", "bcdefg", strict=True)) + "name: bomb\nservices: *g\n"}
    ).encode(),
    "a spec that is a string": b'{"spec": "name: x"}',
    "a list": b"[1, 2]",
}


@pytest.mark.parametrize("path", ["/v2/apps", "/v2/apps/propose"])
@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_bodies_get_a_plain_4xx_and_store_nothing(dockyard: Dockyard, path: str, name: str):
    before = dockyard.request("GET", "/v2/apps").body["meta"]["total"]
    assert_plain_4xx(post_raw(dockyard, path, BAD_BODIES[name]))
    assert dockyard.request("GET", "/v2/apps").body["meta"]["total"] == before


def test_a_body_over_the_limit_is_413_saying_the_limit(dockyard: Dockyard):
    big = json.dumps({"spec_yaml": "name: big\n# " + "x" * (10 * 1024 * 1024)}).encode()
    resp = post_raw(dockyard, "/v2/apps/propose", big)
    assert_plain_4xx(resp, 413)
    assert "512 KiB" in resp.body["message"]


def test_a_chunked_body_over_the_limit_is_413(dockyard: Dockyard):
    url = urllib.parse.urlsplit(dockyard.api_url)
    ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=60)
    chunks = (b"[" * 65536 for _ in range(32))  # 2 MiB, no Content-Length
    try:
        conn.request("POST", "/v2/apps/propose", body=chunks, encode_chunked=True,
                     headers={"Authorization": f"Bearer {dockyard.admin_token}",
                              "Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 413 and "512 KiB" in body["message"]


# -- defect 6: the GitHub webhook ------------------------------------------------------------

@pytest.fixture(scope="module")
def hooked(dockyard: Dockyard) -> dict:
    """An app that deploys from GitHub on push (its repository does not exist: the deploys
    fail at fetch, which does not matter here)."""
    repo = f"hooks/{uuid.uuid4().hex[:10]}"
    spec = {"name": unique("hook"), "services": [{
        "name": "web", "github": {"repo": repo, "branch": "main", "deploy_on_push": True}}]}
    app = dockyard.request("POST", "/v2/apps", {"spec": spec}).body["app"]
    return {"app": app, "repo": repo, "secret": app["dockyard"]["webhook"]["secret"]}


def push(repo: str) -> bytes:
    return json.dumps({"ref": "refs/heads/main", "after": "c" * 40, "deleted": False,
                       "repository": {"full_name": repo}}).encode()


def webhook(dockyard: Dockyard, body: bytes, secret: str | None = None,
            delivery: str | None = None) -> Response:
    headers = {"X-GitHub-Event": "push"}
    if secret:
        headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(secret.encode(), body,
                                                             hashlib.sha256).hexdigest()
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    return post_raw(dockyard, "/v2/webhooks/github", body, headers, token=None)


def deployments(dockyard: Dockyard, app_id: str) -> int:
    return dockyard.request("GET", f"/v2/apps/{app_id}/deployments").body["meta"]["total"]


def test_an_unsigned_push_answers_the_same_whatever_the_repository(dockyard, hooked):
    known = webhook(dockyard, push(hooked["repo"]))
    unknown = webhook(dockyard, push("nobody/nothing"))
    forged = webhook(dockyard, push("nobody/nothing"), secret="guessed")
    assert known.status == unknown.status == forged.status == 401
    assert known.body["message"] == unknown.body["message"] == forged.body["message"]


def test_an_unsigned_body_is_never_parsed(dockyard, hooked):
    resp = webhook(dockyard, b"[" * 100_000)
    assert_plain_4xx(resp, 401)


def test_a_signed_bad_payload_is_a_plain_400(dockyard, hooked):
    resp = webhook(dockyard, b"[" * 100_000, secret=hooked["secret"])
    assert_plain_4xx(resp, 400)


def test_a_redelivered_push_deploys_once(dockyard, hooked):
    app_id = hooked["app"]["id"]
    before = deployments(dockyard, app_id)
    delivery = str(uuid.uuid4())
    first = webhook(dockyard, push(hooked["repo"]), hooked["secret"], delivery)
    again = webhook(dockyard, push(hooked["repo"]), hooked["secret"], delivery)
    assert first.status == again.status == 200, (first.body, again.body)
    assert len(first.body["deployments"]) == 1 and again.body["deployments"] == []
    assert deployments(dockyard, app_id) == before + 1
    other = webhook(dockyard, push(hooked["repo"]), hooked["secret"], str(uuid.uuid4()))
    assert len(other.body["deployments"]) == 1  # a new delivery still deploys


def test_the_webhook_body_is_capped(dockyard, hooked):
    resp = webhook(dockyard, b" " * (2 * 1024 * 1024), secret=hooked["secret"])
    assert_plain_4xx(resp, 413)


def test_a_read_only_token_does_not_see_the_webhook_secret(dockyard, hooked):
    token = dockyard.request("POST", "/v2/dockyard/tokens",
                             {"name": unique("ro"), "read_only": True}).body["token"]["token"]
    app_id = hooked["app"]["id"]
    seen = dockyard.request("GET", f"/v2/apps/{app_id}", token=token).body["app"]
    assert "secret" not in seen["dockyard"]["webhook"]
    assert hooked["secret"] not in json.dumps(seen)
    admin = dockyard.request("GET", f"/v2/apps/{app_id}").body["app"]
    assert admin["dockyard"]["webhook"]["secret"] == hooked["secret"]


@pytest.mark.parametrize("body", [{}, {"name": "ext"}, {"name": "ext", "url": "not a url"},
                                  {"name": "Bad Name", "url": "postgres://u:p@127.0.0.1/db"}])
def test_adding_a_bad_external_cluster_is_a_plain_4xx(dockyard: Dockyard, body: dict):
    """Found by the fuzz suite: ``offload.call(name, name=…)`` raised TypeError (500)."""
    assert_plain_4xx(dockyard.request("POST", "/v2/dockyard/clusters", body))
