"""Pure parts of the router: config rendering, validation, slot plans, runtime-API parsing."""

from __future__ import annotations

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
from dockyard.router.haproxy_conf import path_rewrite, render_haproxy, structure
from dockyard.router.model import Slot, check_app, effective_routes, ident
from dockyard.router.nginx_conf import render_nginx
from dockyard.router.runtime import current_sessions, parse_proc
from dockyard.router.slots import fit_slots, plan_switch

APP_ID = "5f0c6d1e-8f7a-4b1c-9d2e-3a4b5c6d7e8f"
KEY = APP_ID


def shop(**changes: object) -> AppRouting:
    base = dict(app_id=APP_ID, name="shop", port=8101, domains=("shop.example.com", "*.shop.io"),
                routes=(Route("/", "web"), Route("/api", "api"), Route("/api/v2", "api2"),
                        Route("/static", "assets"), Route("/docs", "docs",
                                                          preserve_path_prefix=True)),
                services=(ServiceBackend("web", 2), ServiceBackend("api", 1),
                          ServiceBackend("api2", 1)),
                sites=(StaticSite("assets"), StaticSite("docs", error_document=None,
                                                         catchall_document="app.html")))
    base.update(changes)
    return AppRouting(**base)  # type: ignore[arg-type]


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    lay = Layout(tmp_path / "router")
    lay.prepare()
    return lay


def haproxy_text(layout: Layout, slots: dict | None = None, shared: int | None = 8100) -> str:  # type: ignore[type-arg]
    return render_haproxy([shop()], slots or {}, layout, nginx_port=8102, shared_port=shared)


@pytest.mark.parametrize(("route", "path", "expected"), [
    (Route("/static", "s"), "/static/css/x.css", "/css/x.css"),
    (Route("/static", "s"), "/static", "/"),
    (Route("/static", "s"), "/static/", "/"),
    (Route("/api", "s", rewrite="/v1"), "/api/users", "/v1/users"),
    (Route("/api", "s", rewrite="/v1"), "/api", "/v1"),
    (Route("/", "s", rewrite="/v1"), "/users", "/v1/users"),
    (Route("/api", "s", rewrite="/"), "/api/users", "/users"),
    (Route("/api", "s", preserve_path_prefix=True), "/api/users", "/api/users"),
    (Route("/", "s"), "/anything", "/anything"),
])
def test_path_rewrite_strips_or_replaces_the_prefix(route: Route, path: str, expected: str):
    rule = path_rewrite(route)
    if rule is None:
        assert path == expected
        return
    regex, fmt = rule
    assert re.sub(regex, fmt.replace("%%", "%"), path) == expected


def test_longest_prefix_comes_first_and_duplicates_keep_the_first():
    routes = effective_routes(shop(routes=(Route("/", "web"), Route("/api/", "api"),
                                           Route("/api/v2", "api2"), Route("/api", "web"))))
    assert [(r.prefix, r.component) for r in routes] == [
        ("/api/v2", "api2"), ("/api", "api"), ("/", "web")]


def test_haproxy_config_routes_by_prefix_and_host(layout: Layout):
    text = haproxy_text(layout)
    assert "bind 127.0.0.1:8101" in text and "bind 127.0.0.1:8100" in text
    assert f"acl p_{KEY}_3 path '/api'" in text
    assert f"acl p_{KEY}_3 path_beg '/api/'" in text  # /api matches /api/…, never /apix
    assert "http-request replace-path '^/api/?(.*)$' '/\\1'" in text
    assert "replace-path '^/docs" not in text  # preserve_path_prefix
    assert "var(txn.host) -m str 'shop.localhost' 'shop.example.com'" in text
    assert "var(txn.host) -m end '.shop.io'" in text
    assert "req.hdr(host),field(1,:),lower" in text
    assert "http-request set-header X-Forwarded-Proto http" in text
    assert "option forwardfor" in text and "http-reuse safe" in text
    assert "user " not in text and "chroot" not in text and "daemon" not in text
    picks = re.findall(rf"set-var\(txn.rt\) str\({KEY}_(\d)\)", text.split("frontend shared")[0])
    assert picks == ["0", "1", "2", "3", "4"]  # /api/v2, /static, /docs, /api, /


def test_service_backends_have_two_slots_per_instance(layout: Layout):
    slots = {APP_ID: {"web": [Slot("b", 9001, 9002), Slot()]}}
    text = haproxy_text(layout, slots)
    assert "    server s0a 127.0.0.1:9001 disabled\n    server s0b 127.0.0.1:9002\n" in text
    assert "    server s1a 127.0.0.1:1 disabled\n    server s1b 127.0.0.1:1 disabled" in text
    assert "httpchk" not in text
    assert f"http-request set-header Host assets.{KEY}.dockyard" in text
    assert "replace-header Location '^/(.*)$' '/static/\\1'" in text


def test_rendered_configs_pass_haproxy_and_nginx_checks(layout: Layout):
    check_config(haproxy_check_argv(_write(layout.home / "h.cfg", haproxy_text(layout))),
                 "haproxy")
    app = shop()
    conf = render_nginx([(app, s) for s in app.sites], layout, port=8102)
    check_config(nginx_check_argv(_write(layout.home / "n.conf", conf), layout), "nginx")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_nginx_config_names_the_current_symlink_and_refuses_symlinks(layout: Layout):
    app = shop()
    text = render_nginx([(app, s) for s in app.sites], layout, port=8102)
    root = layout.sites / APP_ID / "assets" / "current"
    for line in (f'root "{root}";', "disable_symlinks on from=$document_root;",
                 "absolute_redirect off;", "error_page 404 /404.html;",
                 "location = /404.html { try_files /404.html @dockyard_404; }",
                 "try_files $uri $uri/ /app.html =404;", "error_page 404 @dockyard_404;",
                 f'pid "{layout.nginx_pid}";', "client_body_temp_path"):
        assert line in text, line
    assert "releases" not in text


def test_structure_ignores_server_addresses_and_states(layout: Layout):
    before = haproxy_text(layout, {APP_ID: {"web": [Slot("a", 9001, None), Slot()]}})
    after = haproxy_text(layout, {APP_ID: {"web": [Slot("b", 9001, 9003), Slot("a", 9004)]}})
    assert before != after and structure(before) == structure(after)
    assert structure(before) != structure(haproxy_text(layout, shared=None))


@pytest.mark.parametrize(("changes", "field"), [
    ({"routes": (Route("/x'\n    bind :80", "web"),)}, r"routes\[0\]\.prefix"),
    ({"routes": (Route("/a b", "web"),)}, r"routes\[0\]\.prefix"),
    ({"routes": (Route("/a/../b", "web"),)}, r"routes\[0\]\.prefix"),
    ({"routes": (Route("/api", "web", rewrite="v1"),)}, r"routes\[0\]\.rewrite"),
    ({"routes": (Route("/api", "nope"),)}, r"routes\[0\]\.component"),
    ({"domains": ("ex ample.com",)}, r"domains\[0\]"),
    ({"name": "Shop;"}, "name"),
    ({"services": (ServiceBackend("web", 0),)}, r"services\[0\]\.instances"),
    ({"sites": (StaticSite("assets", index_document="../index.html"), StaticSite("docs"))},
     r"sites\[0\]\.index_document"),
    ({"sites": (StaticSite("assets", error_document="a\"b.html"), StaticSite("docs"))},
     r"sites\[0\]\.error_document"),
])
def test_check_app_names_the_bad_field(changes: dict, field: str):  # type: ignore[type-arg]
    with pytest.raises(DockyardError, match=field):
        check_app(shop(**changes))


def test_ident_is_config_safe_and_keeps_names_apart():
    assert ident("web") == "web" and ident(APP_ID) == APP_ID
    assert re.fullmatch(r"[a-z0-9-]+", ident("My Web!"))
    assert ident("a_b") != ident("a.b")


def test_first_switch_fills_slot_a_then_alternates():
    app = shop()
    slots = fit_slots(app, {})
    first = plan_switch(app, slots, {"api": [9001]})
    backend = f"svc_{KEY}_api"
    assert first.addr == [f"set server {backend}/s0a addr 127.0.0.1 port 9001"]
    assert first.states == [f"set server {backend}/s0a state ready"]
    second = plan_switch(app, first.slots, {"api": [9002]})
    assert second.addr == [f"set server {backend}/s0b addr 127.0.0.1 port 9002"]
    assert second.states == [f"set server {backend}/s0b state ready",
                             f"set server {backend}/s0a state maint"]
    assert second.slots["api"] == [Slot("b", 9001, 9002)]
    assert plan_switch(app, second.slots, {"api": [9002]}).addr == []
    assert slots["api"] == [Slot()]  # plans never modify their input


def test_switch_plan_checks_components_and_ports():
    app = shop()
    with pytest.raises(DockyardError, match="not a service"):
        plan_switch(app, {}, {"worker": [9001]})
    with pytest.raises(DockyardError, match="1 port"):
        plan_switch(app, {}, {"web": [9001]})
    with pytest.raises(DockyardError, match="not 1-65535"):
        plan_switch(app, {}, {"api": [70000]})


def test_fit_slots_grows_and_cuts_with_instances():
    app = shop(services=(ServiceBackend("web", 1), ServiceBackend("api", 3)))
    fitted = fit_slots(app, {"web": [Slot("a", 1, 2), Slot("b", 3, 4)], "gone": [Slot()]})
    assert fitted == {"web": [Slot("a", 1, 2)], "api": [Slot(), Slot(), Slot()]}


def test_runtime_answers_are_parsed():
    stat = ("# pxname,svname,qcur,qmax,scur,smax\nbe,s0a,0,0,3,4\nbe,s0b,0,0,2,2\n"
            "be,BACKEND,0,0,5,6\n\n")
    assert current_sessions(stat, {"s0a"}) == 3
    assert current_sessions(stat, {"s0a", "s0b"}) == 5
    proc = ("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
            "6028            master          2 [failed: 1]   0d00h20m13s     2.6.12\n"
            "# workers\n6988            worker          0               0d00h00m00s     2.6.12\n"
            "# old workers\n6030            worker          1               0d00h01m00s     2.6\n"
            "# programs\n\n")
    assert parse_proc(proc) == (2, 1, [6988])


def test_install_keeps_the_old_file_when_the_check_fails(tmp_path: Path):
    target = tmp_path / "haproxy.cfg"
    target.write_text("good\n")

    def refuse(path: Path) -> None:
        raise DockyardError("no")

    with pytest.raises(DockyardError):
        install(target, "bad\n", refuse)
    assert target.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["haproxy.cfg"]
    assert install(target, "new\n") and not install(target, "new\n")


def test_layout_refuses_unsafe_or_too_long_homes(tmp_path: Path):
    with pytest.raises(DockyardError, match="must be an absolute path"):
        Layout(tmp_path / "a'b")
    with pytest.raises(DockyardError, match="too long"):
        Layout(tmp_path / ("x" * 120))


def test_docs_name_every_router_method_and_program_flag(tmp_path: Path):
    from dockyard.router import HAProxyRouter, Router

    doc = (Path(__file__).resolve().parents[2] / "docs" / "router.md").read_text()
    methods = [n for n in vars(Router) if not n.startswith("_")]
    assert [m for m in methods if f"{m}(" not in doc] == []
    for program in HAProxyRouter(tmp_path / "router").programs():
        flags = [a for a in program.argv if a.startswith("-")]
        assert program.name in doc and all(f" {f} " in doc for f in flags), program


def test_websockets_get_long_lived_tunnels_that_outlive_a_reload(layout: Layout) -> None:
    """After an Upgrade, HAProxy applies `timeout tunnel` (not client/server, 60 s) to the
    connection, and an old worker keeps open tunnels for `hard-stop-after` after a reload."""
    text = haproxy_text(layout)
    defaults = text.split("defaults", 1)[1].split("\n\n", 1)[0]
    assert "    timeout tunnel 1h\n" in defaults
    assert "    timeout client 60s\n" in defaults and "    timeout server 60s\n" in defaults
    assert "    hard-stop-after 10m\n" in text.split("defaults", 1)[0]
    assert "option http-server-close" not in text and "httpclose" not in text
