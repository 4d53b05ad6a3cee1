"""Services behind real HAProxy: routing, runtime switching, sessions, restarts, bad configs."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from dataclasses import replace

import pytest

from dockyard.errors import DockyardError
from dockyard.router import AppRouting, HAProxyRouter, Route, ServiceBackend
from dockyard.router import runtime as rt
from tests.router.conftest import (
    RouterUnderTest,
    echo,
    free_port,
    new_app_id,
    request,
    wait_for,
)


def make_app(port: int, *, name: str = "shop", app_id: str | None = None,
             domains: tuple[str, ...] = ("shop.example.com",)) -> AppRouting:
    return AppRouting(
        app_id=app_id or new_app_id(), name=name, port=port, domains=domains,
        routes=(Route("/", "web"), Route("/api", "api"),
                Route("/keep", "api", preserve_path_prefix=True),
                Route("/old", "api", rewrite="/new")),
        services=(ServiceBackend("web", 1), ServiceBackend("api", 1)))


@pytest.fixture
def shop(running_router, backend):  # type: ignore[no-untyped-def]
    """An app with two services, switched to backends web-1 and api-1."""
    web, _ = backend("web-1")
    api, _ = backend("api-1")
    app = make_app(free_port())
    running_router.router.apply([app])
    running_router.router.switch(app.app_id, {"web": [web], "api": [api]})
    return app


def master_reloads(rut) -> int:  # type: ignore[no-untyped-def]
    return rt.parse_proc(rt.command(rut.router.layout.master_socket, "show proc"))[0]


def test_routes_reach_their_component_on_the_app_port(shop: AppRouting):
    assert echo(shop.port, "/")["name"] == "web-1"
    assert echo(shop.port, "/apix")["name"] == "web-1"  # /api is not a prefix of /apix
    api = echo(shop.port, "/api/items?page=2")
    assert (api["name"], api["path"], api["query"]) == ("api-1", "/items", "page=2")
    assert echo(shop.port, "/api")["path"] == "/"
    assert echo(shop.port, "/keep/x")["path"] == "/keep/x"
    assert echo(shop.port, "/old/thing")["path"] == "/new/thing"


def test_backends_see_host_forwarded_for_and_proto(shop: AppRouting):
    seen = echo(shop.port, "/api/h")
    assert seen["host"] == f"127.0.0.1:{shop.port}"
    assert seen["xff"] == "127.0.0.1"
    assert seen["proto"] == "http"


def test_shared_port_routes_by_host_name(running_router, shop: AppRouting):  # type: ignore[no-untyped-def]
    port = running_router.shared_port
    for host in (f"shop.localhost:{port}", "shop.localhost", "SHOP.example.com"):
        assert echo(port, "/api/z", host=host)["path"] == "/z"
        assert echo(port, "/", host=host)["name"] == "web-1"
    status, body, _ = request(port, "/", host=f"other.localhost:{port}")
    assert status == 404 and b"Not Found" in body


def test_switch_moves_new_and_keepalive_connections(running_router, backend, shop):  # type: ignore[no-untyped-def]
    kept = http.client.HTTPConnection("127.0.0.1", shop.port, timeout=10)
    kept.request("GET", "/")
    first = kept.getresponse()
    assert json.loads(first.read())["name"] == "web-1" and not first.will_close
    sock = kept.sock
    web2, _ = backend("web-2")
    running_router.router.switch(shop.app_id, {"web": [web2]})
    assert echo(shop.port, "/")["name"] == "web-2"
    kept.request("GET", "/")
    again = kept.getresponse()
    assert json.loads(again.read())["name"] == "web-2"
    assert kept.sock is sock, "the keep-alive connection was reopened"
    kept.close()
    assert running_router.router.active(shop.app_id)["web"] == [web2]
    assert echo(shop.port, "/api/a")["name"] == "api-1"  # the other component stays


def test_switch_does_not_reload_haproxy(running_router, backend, shop):  # type: ignore[no-untyped-def]
    before = master_reloads(running_router)
    web2, _ = backend("web-2")
    running_router.router.switch(shop.app_id, {"web": [web2]})
    running_router.router.apply([shop])  # same table again: nothing to reload
    assert master_reloads(running_router) == before
    assert f"127.0.0.1:{web2}" in running_router.router.layout.haproxy_cfg.read_text()


def test_adding_an_app_reloads_and_serves_it(running_router, backend, shop):  # type: ignore[no-untyped-def]
    before = master_reloads(running_router)
    other = make_app(free_port(), name="blog", domains=())
    port, _ = backend("blog-1")
    running_router.router.apply([other])
    running_router.router.switch(other.app_id, {"web": [port]})
    assert master_reloads(running_router) == before + 1
    assert echo(other.port, "/")["name"] == "blog-1"
    assert echo(running_router.shared_port, "/", host="blog.localhost")["name"] == "blog-1"
    assert echo(shop.port, "/")["name"] == "web-1"


def test_sessions_counts_in_flight_requests_and_is_zero_when_idle(running_router, shop):  # type: ignore[no-untyped-def]
    router = running_router.router
    web = router.active(shop.app_id)["web"]
    assert router.sessions(shop.app_id, "web", web) == 0
    slow = threading.Thread(target=request, args=(shop.port, "/slow?1.5"))
    slow.start()
    wait_for(lambda: router.sessions(shop.app_id, "web", web) == 1, "one session on web")
    slow.join()
    wait_for(lambda: router.sessions(shop.app_id, "web", web) == 0, "web to be idle")
    assert router.sessions(shop.app_id, "web", [1]) == 0  # no slot holds that port


def test_restart_comes_back_with_the_active_backend(running_router, backend, shop):  # type: ignore[no-untyped-def]
    web2, _ = backend("web-2")
    running_router.router.switch(shop.app_id, {"web": [web2]})
    running_router.restart_haproxy()
    assert echo(shop.port, "/")["name"] == "web-2"
    assert echo(shop.port, "/api/x")["name"] == "api-1"
    web3, _ = backend("web-3")
    running_router.router.switch(shop.app_id, {"web": [web3]})
    assert echo(shop.port, "/")["name"] == "web-3"


def test_bad_config_never_replaces_good_one(running_router, shop):  # type: ignore[no-untyped-def]
    layout = running_router.router.layout
    saved = {p: p.read_bytes() for p in (layout.haproxy_cfg, layout.nginx_conf, layout.state)}
    reloads = master_reloads(running_router)
    with pytest.raises(DockyardError, match="haproxy rejected") as bad_port:
        running_router.router.apply([make_app(70000, name="broken")])
    assert bad_port.value.code == "router.invalid_config"
    injected = replace(make_app(free_port(), name="evil"),
                       routes=(Route("/x'\n    bind 0.0.0.0:80\n", "web"),))
    with pytest.raises(DockyardError, match=r"routes\[0\]\.prefix"):
        running_router.router.apply([injected])
    assert {p: p.read_bytes() for p in saved} == saved
    assert not list(layout.home.glob(".*.tmp"))
    assert master_reloads(running_router) == reloads
    assert echo(shop.port, "/")["name"] == "web-1"


def test_switch_rejects_unknown_component_and_wrong_instance_count(running_router, shop):  # type: ignore[no-untyped-def]
    with pytest.raises(DockyardError, match="not a service"):
        running_router.router.switch(shop.app_id, {"worker": [free_port()]})
    with pytest.raises(DockyardError, match="2 port"):
        running_router.router.switch(shop.app_id, {"web": [free_port(), free_port()]})
    assert echo(shop.port, "/")["name"] == "web-1"


def test_remove_drops_the_app(running_router, shop):  # type: ignore[no-untyped-def]
    running_router.router.remove(shop.app_id)
    wait_for(lambda: not _answers(shop.port), "the app port to close")
    status, _, _ = request(running_router.shared_port, "/", host="shop.localhost")
    assert status == 404
    assert shop.app_id not in running_router.router.layout.state.read_text()


def _answers(port: int) -> bool:
    try:
        request(port, "/", timeout=1)
        return True
    except OSError:
        return False


def test_apply_before_the_processes_run_only_writes_files(short_home, procs, backend):  # type: ignore[no-untyped-def]
    router = HAProxyRouter(short_home, shared_port=free_port())
    app = make_app(free_port())
    web, _ = backend("web-1")
    api, _ = backend("api-1")
    router.apply([app])
    router.switch(app.app_id, {"web": [web], "api": [api]})
    assert router.active(app.app_id) == {"web": [web], "api": [api]}
    assert router.sessions(app.app_id, "web", [web]) == 0
    RouterUnderTest(router, procs, router.shared_port or 0).start()
    assert echo(app.port, "/")["name"] == "web-1"


def test_port_taken_by_another_program_puts_the_old_config_back(running_router, shop):  # type: ignore[no-untyped-def]
    layout = running_router.router.layout
    saved = {p: p.read_bytes() for p in (layout.haproxy_cfg, layout.nginx_conf, layout.state)}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(DockyardError) as failed:
            running_router.router.apply([make_app(taken, name="late")])
    assert failed.value.code == "router.reload_failed"
    assert {p: p.read_bytes() for p in saved} == saved
    assert echo(shop.port, "/")["name"] == "web-1"
    with pytest.raises(DockyardError, match=f"port {shop.port}, already used by app") as clash:
        running_router.router.apply([make_app(shop.port, name="twin")])
    assert clash.value.code == "router.port_conflict"
    assert {p: p.read_bytes() for p in saved} == saved
    fine = make_app(free_port(), name="fine")
    running_router.router.apply([fine])  # HAProxy reloads normally after a refused reload
    web = running_router.router.active(shop.app_id)["web"]
    running_router.router.switch(fine.app_id, {"web": web})
    assert echo(fine.port, "/")["name"] == "web-1"
