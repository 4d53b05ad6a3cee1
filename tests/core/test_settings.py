"""Installation settings: ports chosen once and kept, env overrides, the live URL."""

from __future__ import annotations

import json
import socket

import pytest

from dockyard.paths import Home
from dockyard.settings import (
    Settings,
    ensure_settings,
    free_port,
    load_settings,
    save_settings,
)


@pytest.fixture
def home(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Home:  # type: ignore[no-untyped-def]
    for name in ("API_PORT", "ROUTER_PORT", "PUSH_POLL_SECONDS", "SMTP_HOST", "SMTP_PORT",
                 "SMTP_SENDER", "KEEP_RELEASES"):
        monkeypatch.delenv(f"DOCKYARD_{name}", raising=False)
    return Home(tmp_path / "home")


def test_locally_the_live_url_is_the_apps_own_port():
    settings = Settings()
    assert settings.live_url(8123, "shop") == "http://127.0.0.1:8123"
    assert settings.live_url(8123, "shop", "shop.example.com") == "http://127.0.0.1:8123"
    assert settings.live_host(8123, "shop") == "127.0.0.1:8123"
    assert settings.live_url(None, "shop") == "" and settings.live_url(0, "shop") == ""
    assert settings.default_ingress(8123, "shop") == "http://127.0.0.1:8123"


def test_in_public_mode_the_live_url_is_the_primary_domain_or_the_apps_name():
    settings = Settings(public=True, domain="Apps.Example.com")
    assert settings.live_url(8123, "shop") == "https://shop.apps.example.com"
    assert settings.live_url(8123, "shop", "WWW.Shop.IO") == "https://www.shop.io"
    assert settings.live_host(8123, "shop") == "shop.apps.example.com"
    assert settings.default_ingress(8123, "shop") == "https://shop.apps.example.com"
    settings.https_port = 8443
    assert settings.live_url(None, "shop") == "https://shop.apps.example.com:8443"
    assert settings.public_api_url == "https://dockyard.apps.example.com:8443"


def test_without_a_config_file_the_defaults_apply(home: Home):
    settings = load_settings(home)
    assert settings == Settings()
    assert (settings.keep_releases, settings.push_poll_seconds) == (10, 10)


def test_ports_are_chosen_once_distinct_and_kept(home: Home):
    first = ensure_settings(home)
    ports = {first.api_port, first.router_port, first.postgres_port}
    assert len(ports) == 3 and 0 not in ports
    again = ensure_settings(home)
    assert (again.api_port, again.router_port, again.postgres_port) == (
        first.api_port, first.router_port, first.postgres_port)
    assert first.api_url == f"https://127.0.0.1:{first.api_port}"


def test_environment_variables_override_the_file(home: Home,
                                                 monkeypatch: pytest.MonkeyPatch):
    save_settings(home, Settings(api_port=1111, router_port=2222, keep_releases=5))
    monkeypatch.setenv("DOCKYARD_API_PORT", "3333")
    monkeypatch.setenv("DOCKYARD_PUSH_POLL_SECONDS", "0.5")
    monkeypatch.setenv("DOCKYARD_KEEP_RELEASES", "3")
    monkeypatch.setenv("DOCKYARD_SMTP_HOST", "mail.example")
    settings = load_settings(home)
    assert (settings.api_port, settings.router_port) == (3333, 2222)
    assert (settings.push_poll_seconds, settings.keep_releases) == (0.5, 3)
    assert settings.smtp_host == "mail.example"
    assert json.loads((home.root / "config.json").read_text())["api_port"] == 1111


def test_unknown_keys_in_the_file_are_ignored(home: Home):
    home.root.mkdir(parents=True)
    (home.root / "config.json").write_text(json.dumps({"api_port": 4444, "removed": True}))
    assert load_settings(home).api_port == 4444


def test_saving_replaces_the_file_whole(home: Home):
    save_settings(home, Settings(api_port=1))
    save_settings(home, Settings(api_port=2))
    assert json.loads((home.root / "config.json").read_text())["api_port"] == 2
    assert sorted(p.name for p in home.root.iterdir()) == ["config.json"]


def test_free_port_is_free_and_avoids_what_it_is_told():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # nobody listens there
    taken = {free_port() for _ in range(5)}
    assert free_port(avoid=taken) not in taken
