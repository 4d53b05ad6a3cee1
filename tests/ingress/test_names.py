"""Which certificates public mode asks for, and what it refuses, from apps and settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.ingress.names import spec_problems, wanted
from dockyard.settings import Settings


@dataclass
class App:
    id: str
    name: str
    created_at: str
    spec: dict = field(default_factory=dict)


def settings(**changes: object) -> Settings:
    return Settings(public=True, domain="apps.example.com", https_port=8443,
                    **changes)  # type: ignore[arg-type]


def test_each_app_gets_its_default_host_and_one_certificate_per_spec_domain() -> None:
    app = App("a1", "shop", "2026-01-01", {"domains": [
        {"domain": "www.shop.example", "type": "PRIMARY"},
        {"domain": "Shop.Example", "type": "ALIAS", "minimum_tls_version": "1.3"},
        {"domain": "shop-x.ondigitalocean.app", "type": "DEFAULT"}]})
    found = wanted(settings(), [app])
    assert sorted(found) == ["dockyard.apps.example.com", "shop.apps.example.com",
                             "shop.example", "www.shop.example"]
    assert found["shop.example"].min_tls == "1.3" and found["shop.example"].kind == "ALIAS"
    assert found["www.shop.example"].kind == "PRIMARY"
    assert found["dockyard.apps.example.com"].kind == "API"


def test_a_wildcard_needs_a_dns01_hook() -> None:
    app = App("a1", "shop", "2026-01-01", {"domains": [
        {"domain": "shop.example", "type": "PRIMARY", "wildcard": True}]})
    refused = wanted(settings(), [app])["shop.example"]
    assert "DNS-01 hook" in refused.refused
    ok = wanted(settings(dns01_hook="/usr/local/bin/dns-hook"), [app])["shop.example"]
    assert ok.refused == "" and ok.names == ("shop.example", "*.shop.example")


def test_the_app_created_first_keeps_a_domain_two_apps_claim() -> None:
    first = App("a1", "one", "2026-01-01", {"domains": [{"domain": "x.example"}]})
    second = App("a2", "two", "2026-01-02", {"domains": [{"domain": "x.example"}]})
    found = wanted(settings(), [second, first])
    assert found["x.example"].app_id == "a1" and not found["x.example"].refused
    assert "already served by app one" in found["a2/x.example"].refused


def test_spec_problems_name_the_field() -> None:
    spec = {"name": "dockyard", "domains": [
        {"domain": "a.example", "wildcard": True}, {"domain": "dockyard.apps.example.com"}]}
    problems = dict(spec_problems(settings(), spec))
    assert set(problems) == {"name", "domains[0].wildcard", "domains[1].domain"}


def test_live_urls_follow_the_mode() -> None:
    local = Settings(api_port=1)
    assert local.live_url(9001, "shop", "www.shop.example") == "http://127.0.0.1:9001"
    assert local.live_host(9001, "shop") == "127.0.0.1:9001"
    pub = settings()
    assert pub.live_url(9001, "shop") == "https://shop.apps.example.com:8443"
    assert pub.live_url(9001, "shop", "www.shop.example") == "https://www.shop.example:8443"
    assert pub.default_ingress(9001, "shop") == "https://shop.apps.example.com:8443"
    assert Settings(public=True, domain="d.example").live_host(1, "a") == "a.d.example"
    assert pub.public_api_url == "https://dockyard.apps.example.com:8443"


def test_two_apps_created_in_one_second_the_first_created_keeps_the_domain() -> None:
    # as Store.list_apps gives them: creation order; the later app has the smaller id
    first = App("b-made-first", "one", "2026-01-01T00:00:00Z", {"domains": [{"domain": "x.io"}]})
    second = App("a-made-second", "two", "2026-01-01T00:00:00Z",
                 {"domains": [{"domain": "x.io"}]})
    found = wanted(settings(), [first, second])
    assert found["x.io"].app_id == "b-made-first"
    assert "already served by app one" in found["a-made-second/x.io"].refused


def test_a_refused_domain_and_the_default_ingress_are_kept_apart() -> None:
    app = App("a1", "shop", "2026-01-01", {"domains": [
        {"domain": "dockyard.apps.example.com", "type": "ALIAS"},
        {"domain": "shop.apps.example.com", "type": "ALIAS"}]})
    found = wanted(settings(), [app])
    assert "Dockyard's API" in found["a1/dockyard.apps.example.com"].refused
    assert found["shop.apps.example.com"].kind == "DEFAULT"     # the default host keeps it
    assert "already served by app shop" in found["a1/shop.apps.example.com"].refused
