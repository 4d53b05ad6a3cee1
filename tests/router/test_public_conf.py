"""Public mode's part of haproxy.cfg: listeners, ACME answers, redirect to HTTPS, routing by
Host and SNI, the API backend, and ``ingress.rules[].redirect`` (checked by ``haproxy -c``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.router import AppRouting, Route, ServiceBackend
from dockyard.router.certs import CertEntry, Certificates
from dockyard.router.files import Layout, check_config, haproxy_check_argv, install
from dockyard.router.haproxy_conf import redirect_target, render_haproxy
from dockyard.router.model import PublicIngress, Redirect, check_app, check_public


def public(tmp_path: Path, **changes: object) -> PublicIngress:
    folder = tmp_path / "ingress"
    ca = tmp_path / "ca.pem"
    base = dict(domain="apps.example.com", http_port=8080, https_port=8443,
                binds=("::", "127.0.0.1"), crt_list=folder / "crt-list",
                challenge_map=folder / "acme.map", default_cert=folder / "default.pem",
                api_host="dockyard.apps.example.com", api_port=9000, api_ca=ca,
                api_allow=("203.0.113.0/24",))
    base.update(changes)
    return PublicIngress(**base)  # type: ignore[arg-type]


def shop() -> AppRouting:
    return AppRouting(app_id="app-1", name="shop", port=8101,
                      domains=("www.shop.example", "shop.example", "*.shop.example"),
                      routes=(Route("/", "web"),), services=(ServiceBackend("web", 1),),
                      redirects=(Redirect("/", host="shop.example",
                                          authority="www.shop.example", code=301),))


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[str, Layout, PublicIngress]:
    from dockyard.api.tls import ensure_tls

    layout = Layout(tmp_path / "router")
    layout.prepare()
    pub = public(tmp_path)
    ensure_tls(tmp_path / "tls")
    (tmp_path / "ca.pem").write_bytes((tmp_path / "tls" / "ca.pem").read_bytes())
    Certificates(pub, layout.stats_socket, layout.lock).ensure_files()
    text = render_haproxy([shop()], {}, layout, nginx_port=8102, shared_port=8100, public=pub)
    return text, layout, pub


def test_the_public_config_is_accepted_by_haproxy(rendered, tmp_path: Path) -> None:
    text, _layout, _pub = rendered
    cfg = tmp_path / "haproxy.cfg"
    install(cfg, text)
    check_config(haproxy_check_argv(cfg), "haproxy")


def test_plain_http_answers_acme_challenges_and_redirects_the_rest(rendered) -> None:
    text, _, pub = rendered
    http = text.split("frontend public_http")[1].split("\n\n")[0]
    assert "bind [::]:8080 v4v6" in http and "bind 127.0.0.1:8080" in http
    assert f"map('{pub.challenge_map}')" in http
    assert http.index("acme_path") < http.index("redirect location")
    assert "redirect location https://%[req.hdr(host),field(1,:)]:8443%[capture.req.uri] " \
           "code 301" in http


def test_https_routes_app_hosts_spec_domains_and_the_api(rendered) -> None:
    text, _, pub = rendered
    https = text.split("frontend public_https")[1].split("\n\n")[0]
    assert f"ssl crt-list '{pub.crt_list}' ssl-min-ver TLSv1.2" in https
    assert "http-request set-header X-Forwarded-Proto https" in https
    assert "-m str 'shop.apps.example.com' 'www.shop.example' 'shop.example'" in https
    assert "-m end '.shop.example'" in https
    assert "acl api_src src 203.0.113.0/24" in https
    assert "if host_api !api_src" in https
    assert "use_backend dockyard_api if host_api" in https
    assert "verifyhost localhost" in text.split("\nbackend dockyard_api")[1]


def test_ingress_redirects_come_before_routing_on_every_frontend(rendered) -> None:
    text, _, _ = rendered
    for name in ("frontend app_app-1", "frontend shared", "frontend public_https"):
        section = text.split(name)[1].split("\n\n")[0]
        redirect = section.index("redirect location 'https://www.shop.example%[capture.req.uri]'"
                                 " code 301")
        assert redirect < section.index("set-var(txn.rt) str(app-1_0)")


def test_a_redirect_keeps_what_the_rule_leaves_unset() -> None:
    assert redirect_target(Redirect()) == "https://%[req.hdr(host)]%[capture.req.uri]"
    assert redirect_target(Redirect(port=8443, scheme="http", uri="/new")) == \
        "http://%[req.hdr(host),field(1,:)]:8443/new"
    assert redirect_target(Redirect(uri="/a%20b")) == "https://%[req.hdr(host)]/a%%20b"


@pytest.mark.parametrize("redirect, field", [
    (Redirect(authority="evil.com'\n  bind"), "redirects[0].authority"),
    (Redirect(uri="/x y"), "redirects[0].uri"),
    (Redirect(code=200), "redirects[0].redirect_code"),
    (Redirect(scheme="ftp"), "redirects[0].scheme")])
def test_bad_redirects_are_refused_naming_the_field(redirect: Redirect, field: str) -> None:
    app = AppRouting(app_id="a", name="a", port=1, routes=(Route("/", "web"),),
                     services=(ServiceBackend("web", 1),), redirects=(redirect,))
    with pytest.raises(DockyardError, match=field.replace("[", r"\[").replace("]", r"\]")):
        check_app(app)


@pytest.mark.parametrize("changes, word", [
    ({"domain": "apps example.com"}, "domain"), ({"https_port": 70000}, "https_port"),
    ({"binds": ("localhost",)}, "bind"), ({"api_allow": ("10.0.0.0/33",)}, "api_allow")])
def test_bad_public_settings_are_refused(tmp_path: Path, changes: dict, word: str) -> None:
    with pytest.raises(DockyardError, match=f"public mode: {word} is"):
        check_public(public(tmp_path, **changes))


def test_crt_list_lines_round_trip() -> None:
    entry = CertEntry(Path("/h/certs/shop.example.pem"), ("shop.example", "*.shop.example"),
                      "1.3")
    assert entry.line() == "/h/certs/shop.example.pem [ssl-min-ver TLSv1.3] shop.example " \
                           "*.shop.example"
    assert CertEntry.parse(entry.line()) == entry
    plain = CertEntry(Path("/h/certs/a.pem"), ("a.example",))
    assert CertEntry.parse(plain.line()) == plain
