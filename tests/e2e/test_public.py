"""Public mode end to end, with Let's Encrypt's test CA (pebble) on 127.0.0.1.

A real ``dockyard up --public`` listens on free loopback ports; pebble validates HTTP-01
against HAProxy's public HTTP port and resolves every test domain to 127.0.0.1 through
pebble-challtestsrv. The app gets certificates for its PRIMARY and ALIAS domains, serves each
with its own certificate by SNI, redirects HTTP to HTTPS and sees the https URL as
``${APP_URL}``; a renewal under load drops nothing; an unresolvable domain ends ERROR with the
CA's reason and a DOMAIN_FAILED alert while the others keep serving; pydo reaches the API
through the public ingress trusting pebble's root and nothing else.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import ssl
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.settings import free_port
from tests.alerts.conftest import Receiver, receiving
from tests.conftest import wait_for
from tests.e2e.conftest import Platform, make_repo, new_platform, stop
from tests.e2e.load import LoadLoop, LoopbackHTTPS
from tests.ingress.pebble import Pebble

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "public_domains"
URL = "https://github.com/example/shop.git"
DOMAIN = "apps.test"
VALIDITY = 45  # seconds: pebble's certificates, renewed with a third of that left


@dataclass
class Public:
    platform: Platform
    pebble: Pebble
    http_port: int
    https_port: int
    root: Path          # pebble's issuing root: the only trust anchor of the clients here
    hooks: Receiver     # where the app's domain alerts go
    folder: Path

    @property
    def hook_url(self) -> str:
        return self.hooks.url

    def alerts(self) -> list[dict]:
        return [r.body for r in self.hooks.requests]

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.root))

    def https(self, host: str, path: str = "/") -> tuple[int, str, dict]:
        """GET over HTTPS with SNI ``host``, the certificate checked against pebble's root;
        returns status, body and the peer certificate."""
        conn = LoopbackHTTPS(host, self.https_port, self.context(), timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            cert = conn.sock.getpeercert()
            return resp.status, resp.read().decode(), cert
        finally:
            conn.close()

    def app(self) -> dict:
        return self.platform.app("shop")

    def domains(self) -> dict[str, dict]:
        return {d["spec"]["domain"]: d for d in self.app().get("domains", [])}


def san(cert: dict) -> list[str]:
    return [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Public]:
    folder = tmp_path_factory.mktemp("public")
    http_port = free_port()
    https_port = free_port(avoid={http_port})
    pebble = Pebble(folder / "pebble", http_port=http_port, validity_seconds=VALIDITY).start()
    platform = new_platform(folder, DOCKYARD_PUSH_POLL_SECONDS="0",
                            DOCKYARD_INGRESS_POLL_SECONDS="0.2", DOCKYARD_CERT_RETRY_SECONDS="2")
    with receiving("/hook/token") as hooks, serving(platform, pebble):
        platform.map_url(URL, make_repo(folder / "shop", APP))
        platform.cli("up", "--public", "--domain", DOMAIN, "--email", "ops@example.test",
                     "--http-port", str(http_port), "--https-port", str(https_port),
                     "--bind", "127.0.0.1", "--acme-directory", pebble.directory,
                     "--acme-ca-bundle", str(pebble.ca_bundle))
        root = folder / "pebble-root.pem"
        root.write_bytes(pebble.root_pem())
        yield Public(platform, pebble, http_port, https_port, root, hooks, folder)


@contextmanager
def serving(platform: Platform, pebble: Pebble) -> Iterator[None]:
    """Dockyard and pebble are stopped at the end, whatever happened."""
    try:
        yield
    finally:
        stop(platform)
        pebble.stop()


def spec_without_domains(public: Public) -> Path:
    """The test app's spec with no ``domains`` block."""
    text = (APP / "app.yaml").read_text()
    head, _, rest = text.partition("domains:\n")
    path = public.folder / "app-nodomains.yaml"
    path.write_text(head + "services:" + rest.partition("services:")[2])
    return path


def spec_with(public: Public, extra: str) -> Path:
    path = public.folder / "app-extra.yaml"
    text = (APP / "app.yaml").read_text().replace(
        "services:", f"  - domain: {extra}\n    type: ALIAS\nservices:", 1)
    path.write_text(text)
    return path


def test_primary_and_alias_domains_get_certificates_https_and_a_redirect(public: Public):
    platform = public.platform
    # First without domains, so the alert destinations are in place when they go live.
    platform.deploy_spec(spec_without_domains(public))
    dest = public.folder / "dest.json"
    dest.write_text(json.dumps({"emails": [], "slack_webhooks": [{"url": public.hook_url}]}))
    for alert in platform.cli("apps", "list-alerts", "shop", "-o", "json").json()["alerts"]:
        platform.cli("apps", "update-alert-destinations", "shop", alert["id"],
                     "--app-alert-destinations", str(dest))
    platform.cli("apps", "update", "shop", "--spec", str(APP / "app.yaml"), "--wait")

    wait_for(lambda: all(d["phase"] == "ACTIVE" for d in public.domains().values())
             and len(public.domains()) == 2, "both domains ACTIVE", timeout=60, interval=0.3)
    base = f":{public.https_port}"
    app = public.app()
    assert app["live_url"] == f"https://www.shop.test{base}"
    assert app["default_ingress"] == f"https://shop.{DOMAIN}{base}"

    status, body, cert = public.https("www.shop.test")
    assert status == 200 and san(cert) == ["www.shop.test"]
    assert f"url=https://www.shop.test{base} " in body and "domain=www.shop.test " in body
    assert "proto=https" in body
    status, body, cert = public.https("shop.test")
    assert status == 200 and san(cert) == ["shop.test"]
    status, _, cert = public.https(f"shop.{DOMAIN}")
    assert status == 200 and san(cert) == [f"shop.{DOMAIN}"]

    conn = http.client.HTTPConnection("127.0.0.1", public.http_port, timeout=10)
    conn.request("GET", "/a/b?c=1", headers={"Host": "www.shop.test"})
    resp = conn.getresponse()
    assert resp.status == 301
    assert resp.getheader("Location") == f"https://www.shop.test{base}/a/b?c=1"
    conn.close()

    rules = wait_for(lambda: sorted({h["rule"] for h in public.alerts()}) or None,
                     "DOMAIN_LIVE alerts", timeout=30)
    assert rules == ["DOMAIN_LIVE"]
    live = " ".join(h["message"] for h in public.alerts())
    assert "www.shop.test" in live and "shop.test" in live
    ingress = platform.home / "ingress"
    for path in [ingress / "account-key.pem", *sorted((ingress / "certs").glob("*.pem"))]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_minimum_tls_version_of_a_domain_is_enforced(public: Public):
    ctx = public.context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", public.https_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="shop.test")
    with socket.create_connection(("127.0.0.1", public.https_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="www.shop.test") as tls:
            assert tls.version() == "TLSv1.2"


def test_a_renewal_under_load_drops_no_request(public: Public):
    serial = public.https("www.shop.test")[2]["serialNumber"]
    loop = LoadLoop(public.https_port, host="www.shop.test", tls=public.context(),
                    keepalive_threads=2, fresh_threads=2, max_seconds=120, pause=0.01).start()
    try:
        wait_for(lambda: public.https("www.shop.test")[2]["serialNumber"] != serial,
                 "the certificate of www.shop.test to be renewed", timeout=90, interval=0.5)
        time.sleep(1)  # requests on connections opened before and after the swap
    finally:
        loop.stop()
    assert loop.count > 200
    assert loop.failures == [], loop.failures[:5]


def test_an_unresolvable_domain_ends_error_and_alerts_while_the_others_serve(public: Public):
    public.pebble.servfail("broken.shop.test")
    spec = spec_with(public, "broken.shop.test")
    public.platform.cli("apps", "update", "shop", "--spec", str(spec), "--wait")

    broken = wait_for(lambda: (d := public.domains().get("broken.shop.test"))
                      and d["phase"] == "ERROR" and d, "broken.shop.test to end ERROR",
                      timeout=60, interval=0.3)
    reason = broken["progress"]["steps"][0]["reason"]["message"]
    assert "broken.shop.test" in reason and ("SERVFAIL" in reason or "resolve" in reason)
    failed = wait_for(lambda: [h for h in public.alerts() if h["rule"] == "DOMAIN_FAILED"],
                      "a DOMAIN_FAILED alert", timeout=30)
    assert "broken.shop.test" in failed[0]["message"]
    for host in ("www.shop.test", "shop.test"):
        assert public.domains()[host]["phase"] == "ACTIVE"
        assert public.https(host)[0] == 200
    text = public.platform.cli("apps", "get", "shop").out
    assert "broken.shop.test" in text and "ERROR" in text


def test_pydo_reaches_the_api_through_the_public_ingress_with_pebbles_root_only(
        public: Public, monkeypatch: pytest.MonkeyPatch):
    import pydo

    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(host, str) and host.endswith(".test"):
            host = "127.0.0.1"  # the DNS record a user would make, in this process only
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(public.root))
    client = pydo.Client(token=public.platform.admin_token,
                         endpoint=f"https://dockyard.{DOMAIN}:{public.https_port}")
    apps = client.apps.list()["apps"]
    assert [a["spec"]["name"] for a in apps] == ["shop"]
    app = client.apps.get(apps[0]["id"])["app"]
    assert app["live_url"].startswith("https://www.shop.test:")
    phases = {d["spec"]["domain"]: d["phase"] for d in app["domains"]}
    assert phases["www.shop.test"] == "ACTIVE" and phases["broken.shop.test"] == "ERROR"
    status = public.platform.status
    assert status["running"]["ingress"] and status["public"]["domain"] == DOMAIN


def test_deleting_the_app_removes_its_certificates(public: Public):
    public.platform.cli("apps", "delete", "shop", "--force")
    certs = public.platform.home / "ingress" / "certs"
    wait_for(lambda: sorted(p.name for p in certs.glob("*.pem")) == [f"dockyard.{DOMAIN}.pem"],
             "only the API's certificate left", timeout=30)
    crt_list = (public.platform.home / "ingress" / "crt-list").read_text()
    assert "shop" not in crt_list
    shutil.rmtree(public.folder / "shop", ignore_errors=True)
