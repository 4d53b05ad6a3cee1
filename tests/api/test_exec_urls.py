"""The exec console's URL: who may ask for one, what it names, and a websocket that refuses
forged, expired and reused tokens. The app and its live deployment are written to the real
store directly (no build): the API only reads them."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from dockyard.api import routes_exec
from dockyard.api.signing import sign_token, signing_key, verify_token
from dockyard.store import App, Deployment
from tests.api.conftest import Api, api_in, assert_do_error

WEB = {"name": "web", "kind": "service",
       "instances": [{"index": 0, "program": "dky-web-0"}, {"index": 1, "program": "dky-web-1"}]}
SITE = {"name": "docs", "kind": "static_site"}
Live = tuple[App, Deployment]


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from api_in(tmp_path_factory.mktemp("api"), monkeypatch)


@pytest.fixture
def api(shared_api: Api) -> Api:
    return shared_api


def live_app(api: Api, name: str, components: list[dict[str, Any]],
             phase: str = "ACTIVE") -> tuple[App, Deployment]:
    store = api.platform.store
    spec = {"name": name, "services": [{"name": "web"}], "static_sites": [{"name": "docs"}]}
    app = store.create_app(name, spec, f"name: {name}\n", [])
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="test")
    dep = store.update_deployment(dep, components=components)
    if phase != "PENDING_BUILD":
        dep = store.set_phase(dep, phase)
    return app, dep


@pytest.fixture(scope="module")
def shop(shared_api: Api) -> tuple[App, Deployment]:
    return live_app(shared_api, "shop", [WEB, SITE])


def exec_url(api: Api, path: str, **kwargs: Any) -> Any:
    return api.call("GET", path, **kwargs)


def token_of(url: str) -> str:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["token"]


def test_the_exec_url_is_a_websocket_url_naming_the_live_instance(api: Api, shop: Live) -> None:
    app, dep = shop
    resp = exec_url(api, f"/v2/apps/{app.id}/components/web/exec?instance_name=web-1")
    assert resp.status_code == 200, resp.text
    url = resp.json()["url"]
    assert url.startswith(f"wss://127.0.0.1:{api.platform.settings.api_port}/exec?token=")
    claims = verify_token(signing_key(api.platform.home), token_of(url))
    assert claims is not None
    assert {k: claims[k] for k in ("app", "dep", "component", "instance")} == {
        "app": app.id, "dep": dep.id, "component": "web", "instance": "web-1"}
    assert 0 < int(str(claims["exp"])) - time.time() <= routes_exec.TTL_SECONDS


def test_an_instance_may_be_named_by_its_program(api: Api, shop: Live) -> None:
    app, dep = shop
    resp = exec_url(api, f"/v2/apps/{app.id}/deployments/{dep.id}/components/web/exec"
                         "?instance_name=dky-web-0")
    assert resp.status_code == 200


@pytest.mark.parametrize(("path", "words"), [
    ("components/docs/exec", "consoles open in: web"),           # a static site has no shell
    ("components/worker/exec", "component 'worker' not found"),
    ("components/web/exec?instance_name=web-7", "its instances: web-0, web-1")])
def test_what_has_no_console_is_a_404_saying_what_has_one(api: Api, shop: Live, path: str,
                                                          words: str) -> None:
    app, _ = shop
    body = assert_do_error(exec_url(api, f"/v2/apps/{app.id}/{path}"), 404, "not_found")
    assert words in body["message"]


def test_an_app_with_nothing_live_has_no_console(api: Api) -> None:
    app, _ = live_app(api, "pending", [WEB], phase="PENDING_BUILD")
    body = assert_do_error(exec_url(api, f"/v2/apps/{app.id}/components/web/exec"), 404,
                           "not_found")
    assert body["message"] == "app pending has no live deployment to open a console in"


def test_a_read_only_token_cannot_ask_for_a_console(api: Api, shop: Live) -> None:
    app, _ = shop
    resp = exec_url(api, f"/v2/apps/{app.id}/components/web/exec", token="viewer")
    body = assert_do_error(resp, 403, "forbidden")
    assert "console" in body["message"]
    assert_do_error(exec_url(api, f"/v2/apps/{app.id}/components/web/exec", token=None), 401,
                    "unauthorized")


def websocket(api: Api, query: str) -> list[dict[str, Any]]:
    """Open ``/exec?<query>`` on the ASGI app as a client would; the messages the server
    sent (``websocket.accept``/``send``/``close``), in order. The client sends nothing
    after connecting and hangs up when the server waits for more."""
    sent: list[dict[str, Any]] = []
    inbox = [{"type": "websocket.connect"}]
    scope = {"type": "websocket", "asgi": {"version": "3.0"}, "scheme": "wss",
             "path": "/exec", "raw_path": b"/exec", "root_path": "",
             "query_string": query.encode(), "headers": [(b"host", b"testserver")],
             "client": ("127.0.0.1", 50000), "server": ("testserver", 443),
             "subprotocols": []}

    async def receive() -> dict[str, Any]:
        return inbox.pop(0) if inbox else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(api.app(scope, receive, send))
    return sent


def refused(api: Api, token: str) -> int | None:
    """The close code the server answers ``token`` with before accepting (None: accepted)."""
    sent = websocket(api, urllib.parse.urlencode({"token": token}))
    if sent and sent[0]["type"] == "websocket.close":
        return int(sent[0]["code"])
    return None


def messages(sent: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["text"]) for m in sent if m["type"] == "websocket.send"]


def test_forged_expired_and_foreign_tokens_are_refused(api: Api, shop: Live) -> None:
    app, dep = shop
    key = signing_key(api.platform.home)
    claims = {"app": app.id, "dep": dep.id, "component": "web", "instance": ""}
    good = sign_token(key, claims, 60)
    payload, _, sig = good.partition(".")
    forged = sign_token(key, {**claims, "app": "someone-else"}, 60).partition(".")[0]
    for token in (f"{forged}.{sig}", sign_token(key, claims, -1), sign_token(b"x" * 32, claims, 60),
                  payload, "", "a.b.c"):
        assert refused(api, token) == routes_exec.POLICY_VIOLATION, token


def test_a_token_works_once(api: Api, shop: Live,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    app, dep = shop
    token = sign_token(signing_key(api.platform.home),
                       {"app": app.id, "dep": dep.id, "component": "web", "instance": ""}, 60)
    asked: list[dict[str, Any]] = []

    def no_console(name: str, **kwargs: Any) -> Any:
        from dockyard.errors import DockyardError

        asked.append({"name": name, **kwargs})
        raise DockyardError("web has no running instance")

    monkeypatch.setattr("dockyard.offload.call", no_console)
    sent = websocket(api, f"token={token}")
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert messages(sent) == [{"data": "dockyard: web has no running instance\r\n",
                               "exit_code": 1}]
    assert asked == [{"name": "console.prepare", "app_id": app.id, "component": "web",
                      "command": [], "deployment_id": dep.id, "instance": None}]
    assert refused(api, token) == routes_exec.POLICY_VIOLATION
    assert len(asked) == 1                    # the reused token never reached the runtime


@pytest.mark.parametrize("command", ['"ls"', "[1, 2]", "not json", '["ls", null]'])
def test_a_command_must_be_a_list_of_strings(api: Api, shop: Live, command: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app, dep = shop
    token = sign_token(signing_key(api.platform.home),
                       {"app": app.id, "dep": dep.id, "component": "web", "instance": ""}, 60)
    monkeypatch.setattr("dockyard.offload.call", lambda *a, **k: pytest.fail("ran"))
    (answer,) = messages(websocket(api, urllib.parse.urlencode({"token": token,
                                                                "command": command})))
    assert answer["exit_code"] == 1
    assert answer["data"] == ('dockyard: command: expected a JSON list of strings, e.g. '
                              '["ls", "-l"]\r\n')
