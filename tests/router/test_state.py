"""``HAProxyRouter`` before its processes run: what it remembers (state.json), what it
refuses, how sites are published. No HAProxy or nginx process; configs are still checked
with ``haproxy -c`` and ``nginx -t``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.errors import DockyardError, NotFound
from dockyard.router import AppRouting, HAProxyRouter, Route, ServiceBackend, StaticSite
from dockyard.router.model import Slot
from dockyard.router.runtime import check_addr_answers, check_empty_answers
from dockyard.router.slots import plan_switch, servers_on
from tests.router.conftest import free_port, new_app_id


def two_instance_app(port: int) -> AppRouting:
    return AppRouting(app_id=new_app_id(), name="shop", port=port,
                      routes=(Route("/", "web"), Route("/docs", "docs")),
                      services=(ServiceBackend("web", 2),), sites=(StaticSite("docs"),))


@pytest.fixture
def router(short_home: Path) -> Iterator[HAProxyRouter]:
    router = HAProxyRouter(short_home, shared_port=free_port())
    yield router
    shutil.rmtree(router.layout.sites, ignore_errors=True)  # as root: outside the home


def test_switches_are_remembered_by_a_new_router_object(router: HAProxyRouter,
                                                         short_home: Path):
    app = two_instance_app(free_port())
    router.apply([app])
    router.switch(app.app_id, {"web": [9001, 9002]})
    router.switch(app.app_id, {"web": [9003, 9002]})
    again = HAProxyRouter(short_home, shared_port=router.shared_port)
    assert again.active(app.app_id) == {"web": [9003, 9002]}
    text = again.layout.haproxy_cfg.read_text()
    assert "server s0b 127.0.0.1:9003\n" in text and "server s0a 127.0.0.1:9001 disabled" in text


def test_sessions_are_zero_while_haproxy_is_not_running(router: HAProxyRouter):
    app = two_instance_app(free_port())
    router.apply([app])
    router.switch(app.app_id, {"web": [9001, 9002]})
    assert router.sessions(app.app_id, "web", [9001]) == 0
    assert router.sessions(app.app_id, "web", [1234]) == 0  # no slot holds that port


def test_switching_an_app_the_router_does_not_know_says_to_apply_first(router: HAProxyRouter):
    with pytest.raises(NotFound) as err:
        router.switch("no-such-app", {"web": [9001]})
    assert err.value.code == "router.unknown_app"
    assert "apply()" in (err.value.hint or "")


def test_remove_forgets_the_app_and_its_sites(router: HAProxyRouter, tmp_path: Path):
    app = two_instance_app(free_port())
    router.apply([app])
    site = tmp_path / "site"
    site.mkdir()
    router.publish_site(app.app_id, "docs", site)
    router.remove(app.app_id)
    assert router.active(app.app_id) == {}
    assert not router.layout.site_root(app.app_id, "docs").exists()
    assert app.app_id not in router.layout.state.read_text()


def test_publishing_a_site_swaps_its_current_symlink(router: HAProxyRouter, tmp_path: Path):
    app = two_instance_app(free_port())
    for n in range(3):
        release = tmp_path / f"r{n}"
        release.mkdir()
        (release / "index.html").write_text(f"release {n}\n")
        router.publish_site(app.app_id, "docs", release)
    link = router.layout.site_root(app.app_id, "docs")
    assert link.is_symlink() and (link / "index.html").read_text() == "release 2\n"
    assert sorted(p.name for p in link.parent.iterdir()) == ["current", "releases"]
    kept = sorted(p.name for p in (link.parent / "releases").iterdir())
    assert len(kept) == 2 and Path(os.readlink(link)).name in kept  # this one and the last


def test_publishing_a_missing_release_is_refused(router: HAProxyRouter, tmp_path: Path):
    with pytest.raises(DockyardError) as err:
        router.publish_site("app", "docs", tmp_path / "never-built")
    assert err.value.code == "router.bad_release"


def test_the_programs_run_in_the_foreground_on_the_routers_files(router: HAProxyRouter):
    haproxy, nginx = router.programs()
    assert haproxy.name == "dockyard-haproxy" and "-db" in haproxy.argv
    assert str(router.layout.haproxy_cfg) in haproxy.argv
    assert nginx.name == "dockyard-nginx" and "daemon off;" in nginx.argv
    assert router.layout.haproxy_cfg.exists() and router.layout.nginx_conf.exists()


def test_servers_on_names_the_slots_that_hold_these_ports():
    slots = {"web": [Slot("b", 9001, 9002), Slot("a", 9003, 9001)]}
    assert servers_on(slots, "web", [9001]) == {"s0a", "s1b"}
    assert servers_on(slots, "web", [9002, 9003]) == {"s0b", "s1a"}
    assert servers_on(slots, "api", [9001]) == set()


def test_a_two_instance_switch_is_one_line_per_step():
    app = two_instance_app(8000)
    plan = plan_switch(app, {"web": [Slot("a", 9001), Slot("a", 9002)]}, {"web": [9011, 9002]})
    backend = f"svc_{app.app_id}_web"
    assert plan.addr == [f"set server {backend}/s0b addr 127.0.0.1 port 9011"]
    assert plan.states == [f"set server {backend}/s0b state ready",
                           f"set server {backend}/s0a state maint"]
    assert plan.slots["web"] == [Slot("b", 9001, 9011), Slot("a", 9002)]


def test_haproxys_refusals_are_errors_naming_the_command():
    cmd = "set server svc_x_web/s0a addr 127.0.0.1 port 9001"
    check_addr_answers([cmd], ["IP changed from '127.0.0.1' to '127.0.0.1', port changed "
                               "from '1' to '9001' by 'stats socket command'"])
    with pytest.raises(DockyardError) as err:
        check_addr_answers([cmd], ["No such server."])
    assert err.value.message == f"HAProxy refused `{cmd}`: No such server."
    check_empty_answers(["set server svc_x_web/s0a state ready"], [""])
    with pytest.raises(DockyardError, match="No such backend"):
        check_empty_answers(["set server svc_x_web/s0a state ready"], ["No such backend."])
