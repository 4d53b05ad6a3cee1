"""Generated, mutated and hostile bodies against a real running Dockyard: propose and create,
every other JSON body the API takes, and the GitHub webhook. Never a 5xx; every refusal is
DigitalOcean's error shape with a plain message; a 422 names field paths; what the server
accepts, the router, nginx and supervisord accept too."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import re
import ssl
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.api.app import route_table
from dockyard.appspec import parse_spec_data
from dockyard.router.files import Layout
from tests.conftest import Dockyard
from tests.fuzz.checks import accepted_spec_runs, error_body_is_plain
from tests.fuzz.conftest import examples
from tests.fuzz.strategies import COMPONENT_FIELDS, as_json, mutated, yaml_texts

pytestmark = pytest.mark.slow
PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=20)
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 200_000).map(lambda n: b"[" * n),
    st.sampled_from([b'{"a": "\\ud800"}', b'{"a": "\xff"}', '{"a": 1}'.encode("utf-16"),
                     b"{" * 3, b"", b"null", b"0", b'"text"', b"NaN", b"[1e999]"]))


class Api:
    """One keep-alive HTTPS connection to the API, opened again when the server closes it."""

    def __init__(self, dockyard: Dockyard) -> None:
        self.dockyard = dockyard
        self.url = urllib.parse.urlsplit(dockyard.api_url)
        self.ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
        self.conn: http.client.HTTPSConnection | None = None

    def send(self, method: str, path: str, raw: bytes = b"",
             headers: dict[str, str] | None = None, token: bool = True) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {self.dockyard.admin_token}"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.url.hostname, self.url.port,
                                                        context=self.ctx, timeout=120)
            try:
                self.conn.request(method, path, body=raw, headers=sent)
                resp = self.conn.getresponse()
                payload = resp.read()
            except (http.client.HTTPException, ConnectionError, ssl.SSLError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if resp.getheader("connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return resp.status, json.loads(payload) if payload.strip() else None
        raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def api(dockyard: Dockyard) -> Iterator[Api]:
    client = Api(dockyard)
    yield client
    if client.conn is not None:
        client.conn.close()


@pytest.fixture(scope="module")
def target(dockyard: Dockyard, api: Api) -> dict[str, str]:
    """An app (deploying from GitHub on push) whose ids fill the routes' path parameters."""
    name = f"fuzz-{uuid.uuid4().hex[:8]}"
    spec = {"name": name, "services": [{"name": "web", "github": {
        "repo": f"fuzz/{name}", "branch": "main", "deploy_on_push": True}}]}
    status, body = api.send("POST", "/v2/apps", json.dumps({"spec": spec}).encode())
    assert status == 200, body
    app = body["app"]
    _, deps = api.send("GET", f"/v2/apps/{app['id']}/deployments")
    return {"app_id": app["id"], "dep_id": deps["deployments"][0]["id"], "component": "web",
            "db": "db", "alert_id": "none", "repo": f"fuzz/{name}",
            "secret": app["dockyard"]["webhook"]["secret"]}


def answered(status: int, body: Any) -> None:
    if status >= 300:
        error_body_is_plain(status, body)


def spec_body(spec: Any, text: str | None, how: int) -> bytes:
    if how == 0 and text is not None:
        return json.dumps({"spec_yaml": text}).encode()
    if how == 1:
        return as_json(spec).encode()
    return as_json({"spec": spec}).encode()


@settings(max_examples=examples("propose"))
@given(mutated(), st.one_of(st.none(), yaml_texts()), st.integers(0, 2))
def test_propose(api: Api, layout: Layout, spec: Any, text: str | None, how: int) -> None:
    status, body = api.send("POST", "/v2/apps/propose", spec_body(spec, text, how))
    answered(status, body)
    if status == 200:
        accepted_spec_runs(parse_spec_data(body["spec"]), layout, real_checks=False)


@settings(max_examples=examples("create"))
@given(mutated(), st.booleans())
def test_create(api: Api, layout: Layout, spec: Any, rename: bool) -> None:
    if isinstance(spec, dict):
        spec.pop("databases", None)  # a dev database would start PostgreSQL for nothing
        if rename:
            spec["name"] = f"fz-{uuid.uuid4().hex[:10]}"
        if not any(spec.get(k) for k in COMPONENT_FIELDS if isinstance(spec.get(k), list)):
            spec["static_sites"] = [{"name": "site", "git": {
                "repo_clone_url": "https://git.example.invalid/site.git"}}]
    status, body = api.send("POST", "/v2/apps", as_json({"spec": spec}).encode())
    answered(status, body)
    if status == 200:
        app = body["app"]
        accepted_spec_runs(parse_spec_data(app["spec"]), layout, real_checks=True)
        assert api.send("DELETE", f"/v2/apps/{app['id']}")[0] == 200


def body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, but create and propose (above) and
    deleting an app (it would delete the target)."""
    found = []
    for route in route_table():
        path = getattr(route, "path", "")
        for method in sorted(getattr(route, "methods", None) or ()):
            if method in ("POST", "PUT") and path not in ("/v2/apps", "/v2/apps/propose"):
                found.append((method, path))
    return found


@settings(max_examples=examples("bodies"))
@given(st.sampled_from(body_routes()),
       st.one_of(JSON_VALUES.map(lambda v: as_json(v).encode()), RAW_BODIES))
def test_every_json_body(api: Api, target: dict[str, str], route: tuple[str, str],
                         raw: bytes) -> None:
    method, template = route
    path = PARAM.sub(lambda m: urllib.parse.quote(target.get(m.group(1), "x"), safe=""),
                     template)
    status, body = api.send(method, path, raw, {"X-GitHub-Event": "push"})
    assert status < 500, (method, path, raw[:200], body)
    answered(status, body)


def push_payloads(target: dict[str, str]) -> st.SearchStrategy[bytes]:
    push = st.fixed_dictionaries(
        {"ref": st.one_of(st.just("refs/heads/main"), st.text(max_size=20), JSON_VALUES),
         "after": st.one_of(st.just("d" * 40), st.text(max_size=41), JSON_VALUES),
         "repository": st.one_of(st.fixed_dictionaries({"full_name": st.one_of(
             st.just(target["repo"]), st.text(max_size=20))}), JSON_VALUES)},
        optional={"deleted": JSON_VALUES, "pusher": JSON_VALUES, "head_commit": JSON_VALUES})
    return st.one_of(push.map(lambda p: as_json(p).encode()), RAW_BODIES,
                     mutated().map(lambda s: as_json(s).encode()))


@settings(max_examples=examples("webhook"))
@given(st.data())
def test_webhook(api: Api, target: dict[str, str], data: st.DataObject) -> None:
    body = data.draw(push_payloads(target))
    headers = {}
    event = data.draw(st.one_of(st.none(), st.sampled_from(["push", "ping", "PUSH"]),
                                st.text(st.characters(codec="ascii", min_codepoint=32,
                                                      max_codepoint=126), max_size=10)))
    if event is not None:
        headers["X-GitHub-Event"] = event
    how = data.draw(st.sampled_from(["good", "good", "none", "bad", "odd"]))
    if how == "good":
        digest = hmac.new(target["secret"].encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = "sha256=" + digest
    elif how != "none":
        headers["X-Hub-Signature-256"] = data.draw(st.one_of(
            st.just("sha256=" + "0" * 64), st.text(st.characters(codec="ascii", min_codepoint=32,
                                                                 max_codepoint=126),
                                                   max_size=80)))
    delivery = data.draw(st.one_of(st.none(), st.uuids().map(str), st.text(
        st.characters(codec="ascii", min_codepoint=32, max_codepoint=126), max_size=120)))
    if delivery is not None:
        headers["X-GitHub-Delivery"] = delivery
    status, answer = api.send("POST", "/v2/webhooks/github", body, headers, token=False)
    assert status in (200, 400, 401, 413), (status, answer, headers, body[:200])
    answered(status, answer)
    if how != "good":
        assert status in (401, 413), answer
