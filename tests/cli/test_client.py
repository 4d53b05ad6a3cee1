"""The CLI's API client: which token, which URL, and what a user sees when nothing runs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from dockyard.api.tls import ensure_tls
from dockyard.cli.client import ApiError, Client, app_path
from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.settings import Settings, save_settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    for var in ("DOCKYARD_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DOCKYARD_API_PORT"):
        monkeypatch.delenv(var, raising=False)
    return Home(tmp_path / "home")


def test_without_settings_the_cli_says_to_start_dockyard(home: Home):
    with pytest.raises(DockyardError) as err:
        Client(home)
    assert err.value.code == "cli.not_running"
    assert err.value.message == f"Dockyard is not running for DOCKYARD_HOME={home.root}"
    assert err.value.hint == "Start it with `dockyard up`."


def test_a_server_that_does_not_answer_is_not_running(home: Home,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_TOKEN", "dky_token")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: refused
        save_settings(home, Settings(api_port=port))
        ensure_tls(home.tls)
        client = Client(home)
        assert client.base == f"https://127.0.0.1:{port}"
        with pytest.raises(DockyardError) as err:
            client.request("GET", "/v2/apps")
    assert err.value.code == "cli.not_running" and "refused" in err.value.message.lower()


def test_the_token_comes_from_the_environment_before_the_admin_file(
        home: Home, monkeypatch: pytest.MonkeyPatch):
    from dockyard.secrets import ensure_admin_token, read_admin_token

    save_settings(home, Settings(api_port=1))
    ensure_tls(home.tls)
    ensure_admin_token(home)
    client = Client(home)
    assert client.token() == read_admin_token(home)
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "dop_v1_from_doctl")
    assert client.token() == "dop_v1_from_doctl"
    monkeypatch.setenv("DOCKYARD_TOKEN", "dky_mine")
    assert client.token() == "dky_mine"


def test_an_api_error_keeps_digitaloceans_fields():
    err = ApiError(409, {"id": "conflict", "message": "app pinned", "code": "app_pinned"})
    assert (err.status, err.code, err.message) == (409, "app_pinned", "app pinned")
    bare = ApiError(502, {})
    assert (bare.code, bare.message) == ("api_error", "HTTP 502")
    assert ApiError(404, {"id": "not_found", "message": "x"}).code == "not_found"


def test_app_references_are_quoted_into_the_path():
    assert app_path("shop", "/deployments") == "/v2/apps/shop/deployments"
    assert app_path("a/b c") == "/v2/apps/a%2Fb%20c"
