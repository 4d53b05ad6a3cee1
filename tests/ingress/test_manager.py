"""The ingress loop without a CA: which domains get a certificate, when one is renewed (30
days before expiry, or a third of a short lifetime), how failures back off and alert, and
what HAProxy's files hold afterwards. ``FakeIssuer`` stands in for the ACME CA; the
certificate files are written by the real ``router.certs.Certificates``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.ingress.manager import Manager
from dockyard.ingress.state import ACTIVE, ERROR, load_states
from dockyard.router.certs import Certificates
from dockyard.settings import Settings
from tests.conftest import wait_for
from tests.ingress.conftest import DAY, FakeIssuer

API = "dockyard.apps.example.com"


@dataclass
class App:
    id: str
    name: str
    created_at: str
    spec: dict = field(default_factory=dict)  # type: ignore[type-arg]


SHOP = App("a1", "shop", "2026-01-01T00:00:00Z", {"domains": [
    {"domain": "www.shop.example", "type": "PRIMARY", "minimum_tls_version": "1.3"}]})


@dataclass
class Loop:
    manager: Manager
    issuer: FakeIssuer
    apps: list[App]
    alerts: list[tuple[str, str, str]]
    certificates: Certificates

    def tick(self) -> None:
        """One tick, and every ACME order it started, to the end."""
        self.manager.tick()
        wait_for(lambda: not self.manager.inflight, "the ACME orders to end", 10, 0.01)

    def issued_for(self) -> list[str]:
        return sorted(names[0] for names, _ in self.issuer.calls)

    def state(self, key: str):  # type: ignore[no-untyped-def]
        return load_states(self.manager.folder)[key]


def settings(**changes: object) -> Settings:
    return Settings(public=True, domain="apps.example.com", https_port=8443,
                    **changes)  # type: ignore[arg-type]


@pytest.fixture
def loop(tmp_path: Path, certificates: Certificates) -> Iterator[Loop]:
    yield from make_loop(tmp_path, certificates)


def make_loop(tmp_path: Path, certificates: Certificates, **changes: object) -> Iterator[Loop]:
    issuer, apps, alerts = FakeIssuer(), [SHOP], []  # type: ignore[var-annotated]
    manager = Manager(tmp_path / "ingress", settings(**changes), lambda: list(apps),
                      certificates, lambda: issuer, lambda *a: alerts.append(a))
    yield Loop(manager, issuer, apps, alerts, certificates)
    manager.pool.shutdown(wait=True)


def test_every_host_gets_a_certificate_and_haproxy_files_list_it(loop: Loop):
    loop.tick()
    assert loop.issued_for() == [API, "shop.apps.example.com", "www.shop.example"]
    assert all(kind == "http-01" for _, kind in loop.issuer.calls)
    www = loop.state("www.shop.example")
    assert www.phase == ACTIVE and www.failures == 0
    assert dt.datetime.fromisoformat(www.expires_at) - dt.datetime.fromisoformat(
        www.valid_from) == 90 * DAY
    pem = loop.manager.cert_path("www.shop.example").read_bytes()
    assert b"BEGIN CERTIFICATE" in pem and b"PRIVATE KEY" in pem   # HAProxy's combined file
    entry = loop.certificates.entries()[loop.manager.cert_path("www.shop.example")]
    assert (entry.names, entry.min_tls) == (("www.shop.example",), "1.3")


def test_going_live_alerts_spec_domains_only_and_once(loop: Loop):
    loop.tick()
    assert [(a, rule) for a, rule, _ in loop.alerts] == [("a1", "DOMAIN_LIVE")]
    assert "www.shop.example of shop is live" in loop.alerts[0][2]
    loop.tick()
    assert len(loop.alerts) == 1


def test_a_fresh_certificate_is_not_renewed(loop: Loop):
    loop.tick()
    loop.tick()
    assert len(loop.issuer.calls) == 3


def test_a_certificate_within_30_days_of_expiry_is_renewed(loop: Loop):
    loop.issuer.age = 61 * DAY                       # 90-day certificate, 29 days left
    loop.tick()
    assert len(loop.issuer.calls) == 3
    loop.issuer.age = dt.timedelta(0)
    loop.tick()
    assert len(loop.issuer.calls) == 6               # each was due, each renewed
    assert loop.state("www.shop.example").seconds_left(dt.datetime.now(dt.UTC)) > 89 * 86400


@pytest.mark.parametrize(("age_days", "renewed"), [(3, False), (4.5, True)])
def test_a_short_lived_certificate_is_renewed_with_a_third_of_its_life_left(
        loop: Loop, age_days: float, renewed: bool):
    loop.issuer.valid_for, loop.issuer.age = 6 * DAY, age_days * DAY   # 3 or 1.5 days left
    loop.tick()
    loop.tick()
    assert len(loop.issuer.calls) == (6 if renewed else 3)


def test_a_refused_wildcard_errors_without_asking_the_ca(loop: Loop):
    loop.apps[:] = [App("a1", "shop", "2026-01-01", {"domains": [
        {"domain": "shop.example", "type": "PRIMARY", "wildcard": True}]})]
    loop.tick()
    state = loop.state("shop.example")
    assert state.phase == ERROR and state.reason_code == "ingress.refused"
    assert "DNS-01 hook" in state.reason
    assert "shop.example" not in loop.issued_for()


def test_a_wildcard_with_a_hook_is_asked_for_with_dns01(tmp_path: Path,
                                                        certificates: Certificates):
    for loop in make_loop(tmp_path, certificates, dns01_hook="/usr/local/bin/dns-hook"):
        loop.apps[:] = [App("a1", "shop", "2026-01-01", {"domains": [
            {"domain": "shop.example", "type": "PRIMARY", "wildcard": True}]})]
        loop.tick()
        asked = {names[0]: (names, kind) for names, kind in loop.issuer.calls}
        assert asked["shop.example"] == (["shop.example", "*.shop.example"], "dns-01")
        assert loop.state("shop.example").phase == ACTIVE


def test_a_first_order_that_fails_ends_in_error_alerts_and_backs_off(loop: Loop):
    loop.issuer.error = DockyardError("the ACME CA refused www.shop.example: DNS problem",
                                      code="ingress.acme_failed")
    before = time.time()
    loop.tick()
    www = loop.state("www.shop.example")
    assert (www.phase, www.reason_code, www.failures) == (ERROR, "ingress.acme_failed", 1)
    assert "DNS problem" in www.reason
    assert before + 300 <= www.next_attempt <= time.time() + 300       # cert_retry_seconds
    assert sorted(loop.alerts) == [                  # the API host belongs to no app
        ("a1", "DOMAIN_FAILED", f"Domain shop.apps.example.com of shop: {www.reason}"),
        ("a1", "DOMAIN_FAILED", f"Domain www.shop.example of shop: {www.reason}")]
    calls = len(loop.issuer.calls)
    loop.tick()
    assert len(loop.issuer.calls) == calls                              # not due yet
    assert len(loop.alerts) == 2


def test_retries_double_up_to_the_maximum(loop: Loop):
    loop.issuer.error = DockyardError("CA down", code="ingress.acme_failed")
    delays = []
    for _ in range(8):
        for state in loop.manager.states.values():
            state.next_attempt = 0.0                   # the wait is over
        before = time.time()
        loop.tick()
        delays.append(round((loop.state("www.shop.example").next_attempt - before) / 60))
    assert delays == [5, 10, 20, 40, 80, 160, 320, 360]   # minutes: 300 s doubling, 6 h cap


def test_a_failed_renewal_keeps_serving_and_alerts_after_three_in_a_row(loop: Loop):
    loop.issuer.age = 70 * DAY                       # 20 days left: due
    loop.tick()
    loop.alerts.clear()
    loop.issuer.error = DockyardError("rate limited", code="ingress.acme_failed")
    for attempt in range(1, 5):
        for state in loop.manager.states.values():
            state.next_attempt = 0.0
        loop.tick()
        www = loop.state("www.shop.example")
        assert www.phase == ACTIVE and www.failures == attempt
        assert www.reason == "renewal failed: rate limited"
        assert loop.manager.cert_path("www.shop.example").exists()      # still served
        www_alerts = [(a, r) for a, r, text in loop.alerts if "www.shop.example" in text]
        assert www_alerts == ([] if attempt < 3 else [("a1", "DOMAIN_FAILED")]), attempt
    loop.issuer.error, loop.issuer.age = None, dt.timedelta(0)
    for state in loop.manager.states.values():
        state.next_attempt = 0.0
    loop.tick()
    www = loop.state("www.shop.example")
    assert (www.failures, www.reason, www.alerted_failed) == (0, "", False)


def test_an_unexpected_error_fails_the_domain_not_the_loop(loop: Loop):
    loop.issuer.error = RuntimeError("boom")  # type: ignore[assignment]
    loop.tick()
    www = loop.state("www.shop.example")
    assert (www.phase, www.reason_code, www.reason) == (ERROR, "ingress.internal",
                                                       "RuntimeError: boom")


def test_a_domain_no_app_wants_any_more_is_removed_from_haproxy(loop: Loop):
    loop.tick()
    path = loop.manager.cert_path("www.shop.example")
    assert path in loop.certificates.entries()
    loop.apps[:] = [App("a1", "shop", SHOP.created_at, {})]
    loop.tick()
    assert "www.shop.example" not in load_states(loop.manager.folder)
    assert not path.exists() and path not in loop.certificates.entries()
    assert loop.manager.cert_path("shop.apps.example.com").exists()   # the default stays


def test_a_new_minimum_tls_is_applied_without_a_new_certificate(loop: Loop):
    loop.tick()
    loop.apps[:] = [App("a1", "shop", SHOP.created_at, {"domains": [
        {"domain": "www.shop.example", "type": "PRIMARY", "minimum_tls_version": "1.2"}]})]
    loop.tick()
    assert len(loop.issuer.calls) == 3
    entry = loop.certificates.entries()[loop.manager.cert_path("www.shop.example")]
    assert entry.min_tls == "1.2"


def test_a_restarted_loop_keeps_what_it_had(loop: Loop, tmp_path: Path,
                                            certificates: Certificates):
    loop.tick()
    for again in make_loop(tmp_path, certificates):
        assert again.manager.states["www.shop.example"].phase == ACTIVE
        again.tick()
        assert again.issuer.calls == []                  # nothing due: nothing asked


def test_a_domain_freed_by_the_app_that_held_it_goes_to_the_other(loop: Loop):
    other = App("a0", "first", "2025-01-01", {"domains": [{"domain": "www.shop.example"}]})
    loop.apps[:] = [other, SHOP]
    loop.tick()
    refused = loop.state("a1/www.shop.example")
    assert refused.phase == ERROR and refused.reason_code == "ingress.refused"
    assert loop.state("www.shop.example").app_id == "a0"
    loop.apps[:] = [SHOP]                               # the first app let it go
    loop.tick()
    assert "a1/www.shop.example" not in load_states(loop.manager.folder)
    www = loop.state("www.shop.example")
    assert (www.app_id, www.phase) == ("a1", ACTIVE)
    entry = loop.certificates.entries()[loop.manager.cert_path("www.shop.example")]
    assert entry.min_tls == "1.3"                       # the new owner's setting
