"""Edge cases of the rendered configs: several apps, rewrites and redirects with odd
characters, static sites and their documents. Each rendered file is also given to the real
``haproxy -c`` / ``nginx -t``, so a line the programs would refuse fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.router import AppRouting, Route, ServiceBackend, StaticSite
from dockyard.router.files import (
    Layout,
    check_config,
    haproxy_check_argv,
    install,
    nginx_check_argv,
)
from dockyard.router.haproxy_conf import (
    redirect_target,
    render_haproxy,
    service_backend,
    site_backend,
    site_host,
    strips,
)
from dockyard.router.model import (
    Redirect,
    Slot,
    app_from_dict,
    app_to_dict,
    check_app,
    check_document,
    check_prefix,
    ident,
)
from dockyard.router.nginx_conf import FALLBACK_TYPES, render_nginx

A_ID = "0a0a0a0a-1111-4222-8333-444444444444"
B_ID = "0b0b0b0b-1111-4222-8333-444444444444"


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    lay = Layout(tmp_path / "router")
    lay.prepare()
    return lay


def api_app(**changes: object) -> AppRouting:
    base = dict(app_id=A_ID, name="api", port=8201, domains=("api.example.com",),
                routes=(Route("/", "web"),), services=(ServiceBackend("web", 1),))
    base.update(changes)
    return AppRouting(**base)  # type: ignore[arg-type]


def blog_app(**changes: object) -> AppRouting:
    base = dict(app_id=B_ID, name="blog", port=8202, domains=("blog.example.org",),
                routes=(Route("/", "site"), Route("/assets", "files", preserve_path_prefix=True)),
                sites=(StaticSite("site", catchall_document="index.html"),
                       StaticSite("files", error_document=None)))
    base.update(changes)
    return AppRouting(**base)  # type: ignore[arg-type]


def haproxy_ok(layout: Layout, text: str) -> str:
    """The text, after the real haproxy accepted it."""
    cfg = layout.home / "check.cfg"
    install(cfg, text)
    check_config(haproxy_check_argv(cfg), "haproxy")
    return text


def nginx_ok(layout: Layout, text: str) -> str:
    conf = layout.home / "check.conf"
    install(conf, text)
    check_config(nginx_check_argv(conf, layout), "nginx")
    return text


def section(text: str, header: str) -> str:
    """One section of haproxy.cfg (from its header to the next blank line)."""
    start = text.index(header + "\n")
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else len(text)]


# -- several apps ------------------------------------------------------------------------------
def test_each_app_gets_its_own_frontend_and_the_shared_one_routes_both(layout: Layout) -> None:
    text = haproxy_ok(layout, render_haproxy([blog_app(), api_app()], {}, layout,
                                             nginx_port=8300, shared_port=8200))
    own_a, own_b = section(text, f"frontend app_{A_ID}"), section(text, f"frontend app_{B_ID}")
    assert "bind 127.0.0.1:8201" in own_a and "bind 127.0.0.1:8202" in own_b
    assert "svc_" in own_a and "site_" not in own_a       # an app's port reaches only itself
    assert "svc_" not in own_b and f"use_backend {site_backend(B_ID, 'site')}" in own_b
    shared = section(text, "frontend shared")
    assert f"acl host_{A_ID} var(txn.host) -m str 'api.localhost' 'api.example.com'" in shared
    assert f"acl host_{B_ID} var(txn.host) -m str 'blog.localhost' 'blog.example.org'" in shared
    # a route of one app is only picked on that app's host
    assert re.search(rf"set-var\(txn.rt\) str\({A_ID}_0\) if !has_rt host_{A_ID}$", shared, re.M)
    assert re.search(rf"set-var\(txn.rt\) str\({B_ID}_0\) if !has_rt host_{B_ID} p_{B_ID}_0$",
                     shared, re.M)


def test_the_config_does_not_depend_on_the_order_apps_are_given(layout: Layout) -> None:
    one = render_haproxy([api_app(), blog_app()], {}, layout, nginx_port=8300, shared_port=8200)
    two = render_haproxy([blog_app(), api_app()], {}, layout, nginx_port=8300, shared_port=8200)
    assert one == two
    assert one.index(f"frontend app_{A_ID}") < one.index(f"frontend app_{B_ID}")


def test_an_app_without_a_port_is_reached_only_through_the_shared_frontend(layout: Layout):
    text = haproxy_ok(layout, render_haproxy([api_app(port=0)], {}, layout, nginx_port=8300,
                                             shared_port=8200))
    assert "frontend app_" not in text
    assert f"host_{A_ID}" in section(text, "frontend shared")
    assert f"backend {service_backend(A_ID, 'web')}" in text


def test_without_a_shared_port_there_is_no_host_routing(layout: Layout) -> None:
    text = haproxy_ok(layout, render_haproxy([api_app()], {}, layout, nginx_port=8300,
                                             shared_port=None))
    assert "frontend shared" not in text and "txn.host" not in text
    assert "bind 127.0.0.1:8201" in text


def test_a_domain_with_a_trailing_dot_and_capitals_matches_its_plain_form(layout: Layout):
    text = render_haproxy([api_app(domains=("API.Example.COM.", "*.Wild.Example"))], {},
                          layout, nginx_port=8300, shared_port=8200)
    shared = section(text, "frontend shared")
    assert "'api.localhost' 'api.example.com'\n" in shared + "\n"
    assert "-m end '.wild.example'" in shared
    assert "Example" not in shared


def test_an_app_with_no_routes_answers_404_everywhere(layout: Layout) -> None:
    text = haproxy_ok(layout, render_haproxy([api_app(routes=())], {}, layout, nginx_port=8300,
                                             shared_port=8200))
    own = section(text, f"frontend app_{A_ID}")
    assert "use_backend" not in own and 'return status 404' in own


# -- rewrites ----------------------------------------------------------------------------------
def test_percent_signs_in_a_rewrite_are_literal_for_haproxy(layout: Layout) -> None:
    app = api_app(routes=(Route("/v%31", "web", rewrite="/a%20b"),))
    check_app(app)
    text = haproxy_ok(layout, render_haproxy([app], {}, layout, nginx_port=8300,
                                             shared_port=None))
    assert "replace-path '^/v%31(/.*)?$' '/a%%20b\\1'" in text


def test_regex_characters_of_a_prefix_are_escaped(layout: Layout) -> None:
    app = api_app(routes=(Route("/a.b+c", "web"),))
    text = haproxy_ok(layout, render_haproxy([app], {}, layout, nginx_port=8300,
                                             shared_port=None))
    assert r"replace-path '^/a\.b\+c/?(.*)$' '/\1'" in text


@pytest.mark.parametrize(("route", "stripped"), [
    (Route("/", "s"), False), (Route("/", "s", rewrite="/"), False),
    (Route("/a", "s"), True), (Route("/a", "s", rewrite="/"), True),
    (Route("/a", "s", preserve_path_prefix=True), False),
    (Route("/a", "s", preserve_path_prefix=True, rewrite="/"), True),
    (Route("/a", "s", rewrite="/b"), False)])
def test_which_routes_strip_their_prefix(route: Route, stripped: bool) -> None:
    assert strips(route) is stripped


def test_rewrite_only_applies_to_the_route_that_was_picked(layout: Layout) -> None:
    app = api_app(routes=(Route("/api", "web", rewrite="/v1"), Route("/", "web")))
    own = section(render_haproxy([app], {}, layout, nginx_port=8300, shared_port=None),
                  f"frontend app_{A_ID}")
    rewrites = [ln for ln in own.splitlines() if "replace-path" in ln]
    assert rewrites == [f"    http-request replace-path '^/api(/.*)?$' '/v1\\1' if rt_{A_ID}_0"]
    # every rewrite comes after every pick: a rewritten path cannot pick a second route
    last_pick = max(i for i, ln in enumerate(own.splitlines()) if "set-var(txn.rt)" in ln)
    assert own.splitlines().index(rewrites[0]) > last_pick


# -- redirects ---------------------------------------------------------------------------------
def test_redirect_rules_are_valid_haproxy_and_come_before_routes(layout: Layout) -> None:
    app = api_app(redirects=(
        Redirect("/old", uri="/new%20page", code=308),
        Redirect("/", host="API.example.com", authority="www.example.com", port=8443,
                 scheme="http", code=301)))
    check_app(app)
    text = haproxy_ok(layout, render_haproxy([app], {}, layout, nginx_port=8300,
                                             shared_port=8200))
    own = section(text, f"frontend app_{A_ID}")
    lines = own.splitlines()
    first = next(i for i, ln in enumerate(lines) if "http-request redirect" in ln)
    assert first < next(i for i, ln in enumerate(lines) if "set-var(txn.rt)" in ln)
    assert ("    http-request redirect location 'https://%[req.hdr(host)]/new%%20page' "
            f"code 308 if rp_{A_ID}_r0") in lines
    assert ("    http-request redirect location 'http://www.example.com:8443"
            f"%[capture.req.uri]' code 301 if rh_{A_ID}_r1") in lines
    assert f"acl rh_{A_ID}_r1 req.hdr(host),field(1,:),lower -m str 'api.example.com'" in own
    shared = section(text, "frontend shared")
    assert f"code 308 if host_{A_ID} rp_{A_ID}_r0" in shared


@pytest.mark.parametrize(("redirect", "location"), [
    (Redirect(), "https://%[req.hdr(host)]%[capture.req.uri]"),
    (Redirect(port=8080), "https://%[req.hdr(host),field(1,:)]:8080%[capture.req.uri]"),
    (Redirect(authority="x.example", scheme="http"), "http://x.example%[capture.req.uri]"),
    (Redirect(uri="/"), "https://%[req.hdr(host)]/")])
def test_a_redirect_location_keeps_the_parts_it_does_not_set(redirect: Redirect,
                                                             location: str) -> None:
    assert redirect_target(redirect) == location


@pytest.mark.parametrize(("redirect", "field"), [
    (Redirect(prefix="nope"), r"redirects\[0\]\.prefix"),
    (Redirect(uri="/a b"), r"redirects\[0\]\.uri"),
    (Redirect(host="a_b.example"), r"redirects\[0\]\.host"),
    (Redirect(authority="x.example/evil"), r"redirects\[0\]\.authority"),
    (Redirect(scheme="ftp"), r"redirects\[0\]\.scheme"),
    (Redirect(code=200), r"redirects\[0\]\.redirect_code"),
    (Redirect(port=0), r"redirects\[0\]\.port")])
def test_a_bad_redirect_names_its_field(redirect: Redirect, field: str) -> None:
    with pytest.raises(DockyardError, match=field) as err:
        check_app(api_app(redirects=(redirect,)))
    assert err.value.code == "router.invalid_routing"


# -- static sites ------------------------------------------------------------------------------
def test_only_a_stripped_site_route_puts_its_prefix_back_into_redirects(layout: Layout) -> None:
    app = blog_app(routes=(Route("/", "site"), Route("/docs", "files"),
                           Route("/raw", "files", preserve_path_prefix=True)))
    text = haproxy_ok(layout, render_haproxy([app], {}, layout, nginx_port=8300,
                                             shared_port=8200))
    files = section(text, f"backend {site_backend(B_ID, 'files')}")
    location = [ln for ln in files.splitlines() if "Location" in ln]
    assert location == [f"    http-response replace-header Location '^/(.*)$' '/docs/\\1' if "
                        f"{{ var(txn.rt) -m str {B_ID}_0 }}"]  # /docs: longest first
    site = section(text, f"backend {site_backend(B_ID, 'site')}")
    assert "Location" not in site  # "/" strips nothing
    assert f"http-request set-header Host {site_host(B_ID, 'site')}" in site
    assert "server nginx 127.0.0.1:8300" in site


def test_nginx_serves_each_site_with_its_own_documents(layout: Layout) -> None:
    app = blog_app(sites=(StaticSite("site", index_document="/home.htm",
                                     error_document="errors/missing.html",
                                     catchall_document="app/index.html"),
                          StaticSite("files", error_document=None)))
    check_app(app)
    text = nginx_ok(layout, render_nginx([(app, s) for s in app.sites], layout, port=8300))
    site = text[text.index(f"server_name {site_host(B_ID, 'site')};"):]
    site = site[:site.index("\n    }\n")]
    assert "index home.htm;" in site
    assert "error_page 404 /errors/missing.html;" in site
    assert ("location = /errors/missing.html { try_files /errors/missing.html @dockyard_404; }"
            in site)
    assert "location / { try_files $uri $uri/ /app/index.html =404; }" in site
    assert 'add_header X-Dockyard-Site "site" always;' in site
    files = text[text.index(f"server_name {site_host(B_ID, 'files')};"):]
    files = files[:files.index("\n    }\n")]
    assert "error_page 404 @dockyard_404;" in files and "location / { }" in files


def test_nginx_sites_are_sorted_and_the_default_server_answers_404(layout: Layout) -> None:
    a, b = api_app(sites=(StaticSite("z"), StaticSite("a")), routes=()), blog_app()
    pairs = [(b, b.sites[1]), (a, a.sites[0]), (b, b.sites[0]), (a, a.sites[1])]
    text = nginx_ok(layout, render_nginx(pairs, layout, port=8300))
    names = re.findall(r"server_name (\S+);", text)
    assert names == [site_host(A_ID, "a"), site_host(A_ID, "z"), site_host(B_ID, "files"),
                     site_host(B_ID, "site")]
    assert "listen 127.0.0.1:8300 default_server; return 404;" in text
    assert render_nginx(list(reversed(pairs)), layout, port=8300) == text


def test_nginx_without_mime_types_file_uses_its_own_table(layout: Layout,
                                                          tmp_path: Path) -> None:
    app = blog_app()
    text = nginx_ok(layout, render_nginx([(app, app.sites[0])], layout, port=8300,
                                         mime_types=tmp_path / "absent.types"))
    assert FALLBACK_TYPES in text and "include" not in text
    assert "application/wasm wasm;" in text


def test_nginx_as_root_names_the_worker_user_and_no_user_otherwise(layout: Layout) -> None:
    app = blog_app()
    with_user = render_nginx([(app, app.sites[0])], layout, port=8300,
                             user=("www-data", "www-data"))
    assert with_user.splitlines()[2] == "user www-data www-data;"
    assert "\nuser " not in render_nginx([(app, app.sites[0])], layout, port=8300)


def test_an_app_without_sites_gives_an_nginx_config_that_still_starts(layout: Layout) -> None:
    text = nginx_ok(layout, render_nginx([], layout, port=8300))
    assert "server_name " not in text and "default_server" in text


@pytest.mark.parametrize("doc", ["../etc/passwd", "a/../../b", "a b.html", "x;y", "", "a//b"])
def test_documents_outside_the_site_or_with_odd_characters_are_refused(doc: str) -> None:
    with pytest.raises(DockyardError, match="error_document"):
        check_document(doc, "error_document")


def test_a_leading_slash_in_a_document_is_dropped() -> None:
    assert check_document("/404.html", "error_document") == "404.html"
    assert check_document("a/b-c_d~e.html", "x") == "a/b-c_d~e.html"


@pytest.mark.parametrize(("value", "normal"), [
    ("/", "/"), ("/api/", "/api"), ("/api//", "/api"), ("/a:b@c", "/a:b@c"),
    ("/%7Euser", "/%7Euser")])
def test_prefixes_lose_their_trailing_slash(value: str, normal: str) -> None:
    assert check_prefix(value, "routes[0].prefix") == normal


@pytest.mark.parametrize("value", ["", "api", "/a\n", "/a'b", "/a\"b", "/..", "/a/..", "/a?b",
                                   "/a#b", "/a b"])
def test_prefixes_that_could_break_a_config_line_are_refused(value: str) -> None:
    with pytest.raises(DockyardError, match=r"routes\[2\]\.prefix"):
        check_prefix(value, "routes[2].prefix")


def test_more_instances_than_a_switch_line_can_carry_are_refused() -> None:
    from dockyard.router.model import MAX_INSTANCES

    check_app(api_app(services=(ServiceBackend("web", MAX_INSTANCES),)))
    with pytest.raises(DockyardError, match=rf"services\[0\]\.instances.*1 to {MAX_INSTANCES}"):
        check_app(api_app(services=(ServiceBackend("web", MAX_INSTANCES + 1),)))


def test_a_route_to_an_unknown_component_lists_the_known_ones() -> None:
    with pytest.raises(DockyardError) as err:
        check_app(blog_app(routes=(Route("/", "nope"),)))
    assert "routes[0].component is 'nope'" in err.value.message
    assert "['files', 'site']" in err.value.message


# -- the routing table on disk -----------------------------------------------------------------
def test_the_routing_table_survives_a_json_round_trip() -> None:
    app = blog_app(domains=("blog.example.org", "*.blog.example.org"),
                   routes=(Route("/", "site"), Route("/a", "files", True, "/b")),
                   redirects=(Redirect("/x", "h.example", "/y", "a.example", 8443, "http", 307),),
                   services=(ServiceBackend("web", 3),))
    assert app_from_dict(json.loads(json.dumps(app_to_dict(app)))) == app


def test_a_slot_survives_its_list_form() -> None:
    for slot in (Slot(), Slot("a", 9001), Slot("b", 9001, 9002)):
        assert Slot.from_list(json.loads(json.dumps(slot.to_list()))) == slot
    assert Slot("b", 9001, 9002).port("a") == 9001 and Slot("b", 9001, 9002).port("b") == 9002


def test_long_or_odd_names_become_distinct_config_identifiers() -> None:
    long_a, long_b = ident("x" * 70 + "a"), ident("x" * 70 + "b")
    assert long_a != long_b and len(long_a) <= 49
    assert re.fullmatch(r"[a-z0-9-]+", ident("Ünïcode name"))
    assert ident("WEB") == "web"
    assert re.fullmatch(r"x-[0-9a-f]{8}", ident("---"))
