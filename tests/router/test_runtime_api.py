"""What a switch sends to HAProxy's runtime API and how its answers are read: slot plans for
several components and instances, the prompt-mode conversation (against a peer on a real
unix socket that answers as HAProxy does), ``show stat``/``show proc`` parsing and the
request-log lines."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.router import AppRouting, Route, ServiceBackend
from dockyard.router.model import Slot
from dockyard.router.runtime import (
    NotRunning,
    check_addr_answers,
    check_empty_answers,
    command,
    conversation,
    current_sessions,
    parse_proc,
)
from dockyard.router.slots import fit_slots, plan_switch, servers_on
from dockyard.router.stats import Counters, RequestLog, parse_stat, percentile

APP = AppRouting(app_id="app-7", name="shop", port=8101,
                 routes=(Route("/", "web"), Route("/api", "api")),
                 services=(ServiceBackend("web", 3), ServiceBackend("api", 1)))
WEB, API = "svc_app-7_web", "svc_app-7_api"


# -- switch plans ------------------------------------------------------------------------------
def test_a_first_switch_of_two_components_points_every_slot_a_at_its_port() -> None:
    plan = plan_switch(APP, {}, {"web": [9001, 9002, 9003], "api": [9100]})
    assert plan.addr == [f"set server {API}/s0a addr 127.0.0.1 port 9100",
                         f"set server {WEB}/s0a addr 127.0.0.1 port 9001",
                         f"set server {WEB}/s1a addr 127.0.0.1 port 9002",
                         f"set server {WEB}/s2a addr 127.0.0.1 port 9003"]
    assert plan.states == [f"set server {API}/s0a state ready",
                           f"set server {WEB}/s0a state ready",
                           f"set server {WEB}/s1a state ready",
                           f"set server {WEB}/s2a state ready"]   # nothing to put in maint
    assert plan.slots == {"web": [Slot("a", 9001), Slot("a", 9002), Slot("a", 9003)],
                          "api": [Slot("a", 9100)]}


def test_a_second_switch_readies_the_other_slot_and_retires_the_old_in_one_step() -> None:
    first = plan_switch(APP, {}, {"web": [9001, 9002, 9003]})
    second = plan_switch(APP, first.slots, {"web": [9011, 9002, 9013]})
    # instance 1 already runs on 9002: it is left alone
    assert second.addr == [f"set server {WEB}/s0b addr 127.0.0.1 port 9011",
                           f"set server {WEB}/s2b addr 127.0.0.1 port 9013"]
    assert second.states == [f"set server {WEB}/s0b state ready",
                             f"set server {WEB}/s0a state maint",
                             f"set server {WEB}/s2b state ready",
                             f"set server {WEB}/s2a state maint"]
    assert second.slots["web"] == [Slot("b", 9001, 9011), Slot("a", 9002), Slot("b", 9003, 9013)]
    third = plan_switch(APP, second.slots, {"web": [9021, 9022, 9023]})
    assert f"set server {WEB}/s0a addr 127.0.0.1 port 9021" in third.addr
    assert f"set server {WEB}/s1b addr 127.0.0.1 port 9022" in third.addr
    assert f"set server {WEB}/s0b state maint" in third.states


def test_a_switch_leaves_other_components_slots_as_they_were() -> None:
    first = plan_switch(APP, {}, {"web": [9001, 9002, 9003], "api": [9100]})
    second = plan_switch(APP, first.slots, {"api": [9101]})
    assert second.slots["web"] == first.slots["web"]
    assert all(API in line for line in second.addr + second.states)


@pytest.mark.parametrize(("ports", "message"), [
    ([9001, 9002], "got 2 port(s) for 3 instance(s)"),
    ([9001, 9002, 9003, 9004], "got 4 port(s) for 3 instance(s)"),
    ([9001, 0, 9003], "port 0 is not 1-65535"),
    ([9001, "9002", 9003], "port '9002' is not 1-65535")])
def test_a_switch_with_wrong_ports_is_refused_before_anything_is_sent(ports: list,  # type: ignore[type-arg]
                                                                      message: str) -> None:
    with pytest.raises(DockyardError) as err:
        plan_switch(APP, {}, {"web": ports})
    assert err.value.code == "router.bad_switch"
    assert err.value.message == f"switch shop/web: {message}"


def test_servers_on_finds_both_slots_and_ignores_other_components() -> None:
    slots = {"web": [Slot("b", 9001, 9002), Slot("a", 9003, 9001)], "api": [Slot("a", 9001)]}
    assert servers_on(slots, "web", [9001]) == {"s0a", "s1b"}
    assert servers_on(slots, "web", [9002, 9003]) == {"s0b", "s1a"}
    assert servers_on(slots, "worker", [9001]) == set()


def test_fitting_slots_copies_them_so_the_input_is_never_changed() -> None:
    current = {"web": [Slot("a", 9001)]}
    fitted = fit_slots(APP, current)
    fitted["web"][0].active = "b"
    assert current["web"][0] == Slot("a", 9001)
    assert fitted["api"] == [Slot()] and len(fitted["web"]) == 3


# -- answers ---------------------------------------------------------------------------------
def test_addr_answers_from_haproxy_are_accepted_and_others_name_the_command() -> None:
    cmds = ["set server b/s0a addr 127.0.0.1 port 9001", "set server b/s0b addr 127.0.0.1 port 1"]
    check_addr_answers(cmds, ["IP changed from '127.0.0.1' to '127.0.0.1', port changed from "
                              "'1' to '9001' by 'stats socket command'",
                              "no need to change the addr"])
    with pytest.raises(DockyardError) as err:
        check_addr_answers(cmds, ["No such server.", "no need to change the addr"])
    assert err.value.message == (f"HAProxy refused `{cmds[0]}`: No such server.")
    assert "restart the router program" in (err.value.hint or "")
    with pytest.raises(DockyardError, match="no answer"):
        check_addr_answers(cmds[:1], [""])
    with pytest.raises(ValueError):            # a missing answer is never taken as success
        check_addr_answers(cmds, ["no need to change"])


def test_state_answers_are_empty_when_they_worked() -> None:
    check_empty_answers(["set server b/s0a state ready"], [""])
    with pytest.raises(DockyardError, match="refused `set server b/s0a state ready`: No such"):
        check_empty_answers(["set server b/s0a state ready"], ["No such backend."])


def test_current_sessions_counts_only_the_named_servers_of_a_stat_answer() -> None:
    stat = ("# pxname,svname,qcur,qmax,scur,smax,slim\n"
            "svc_a_web,s0a,0,0,4,9,\nsvc_a_web,s0b,0,0,1,2,\nsvc_a_api,s0a,0,0,7,7,\n"
            "svc_a_web,BACKEND,0,0,5,11,\nsvc_a_web,s1a,0,0,,0,\n")
    assert current_sessions(stat, {"s0b"}) == 1
    assert current_sessions(stat, {"s1a"}) == 0               # an empty column counts as 0
    assert current_sessions(stat, set()) == 0
    # the name alone is not unique across backends: both s0a count (callers filter backends)
    assert current_sessions(stat, {"s0a"}) == 11


def test_show_proc_without_failed_reloads_or_workers() -> None:
    text = ("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
            "100             master          0               0d00h00m05s     2.6.12\n"
            "# workers\n# old workers\n# programs\n")
    assert parse_proc(text) == (0, 0, [])
    text = text.replace("# workers\n", "# workers\n201 worker 0 0d00h00m01s 2.6.12\n"
                                       "202 worker 0 0d00h00m01s 2.6.12\n")
    assert parse_proc(text) == (0, 0, [201, 202])


# -- the runtime API conversation on a real unix socket ----------------------------------------
Answer = Callable[[str], str]


@contextlib.contextmanager
def fake_haproxy(path: Path, answer: Answer, *, prompt: bool = True) -> Iterator[list[str]]:
    """A peer speaking HAProxy's runtime API on ``path``: in prompt mode each command of a
    ``;`` line gets its answer then ``\\n> ``; it records every line it got."""
    seen: list[str] = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn, conn.makefile("rwb", buffering=0) as stream:
            for raw in stream:
                line = raw.decode().rstrip("\n")
                seen.append(line)
                if line == "quit":
                    return
                if not prompt:
                    stream.write(answer(line).encode())
                    return
                for cmd in line.split(";"):
                    text = "" if cmd == "prompt" else answer(cmd.strip())
                    stream.write((text + ("\n" if text else "") + "\n> ").encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        thread.join(timeout=5)
        server.close()


def test_a_conversation_gets_one_answer_per_command_of_a_line(tmp_path: Path) -> None:
    sock = tmp_path / "h.sock"

    def answer(cmd: str) -> str:
        return "no need to change the addr" if " addr " in cmd else ""

    with fake_haproxy(sock, answer) as seen:
        with conversation(sock) as talk:
            addr = talk.send("set server b/s0a addr 127.0.0.1 port 9001;"
                             "set server b/s1a addr 127.0.0.1 port 9002")
            states = talk.send("set server b/s0a state ready;set server b/s1a state ready")
    assert addr == ["no need to change the addr"] * 2
    assert states == ["", ""]
    assert seen == ["prompt", "set server b/s0a addr 127.0.0.1 port 9001;"
                    "set server b/s1a addr 127.0.0.1 port 9002",
                    "set server b/s0a state ready;set server b/s1a state ready", "quit"]


def test_a_peer_that_hangs_up_mid_command_is_an_error(tmp_path: Path) -> None:
    sock = tmp_path / "h.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(100)              # "prompt"
            conn.sendall(b"\n> ")
            conn.recv(100)              # the command: hang up without answering

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(DockyardError, match="closed the runtime API connection"), \
                conversation(sock) as talk:
            talk.send("show servers state")
    finally:
        thread.join(timeout=5)
        server.close()


def test_a_single_command_reads_the_answer_until_haproxy_closes(tmp_path: Path) -> None:
    sock = tmp_path / "m.sock"
    with fake_haproxy(sock, lambda cmd: f"answer to {cmd}\nsecond line\n", prompt=False) as seen:
        assert command(sock, "show proc") == "answer to show proc\nsecond line\n"
    assert seen == ["show proc"]


def test_no_socket_means_haproxy_is_not_running(tmp_path: Path) -> None:
    with pytest.raises(NotRunning) as err:
        command(tmp_path / "absent.sock", "show info")
    assert err.value.code == "router.not_running"
    assert str(tmp_path / "absent.sock") in err.value.message
    stale = tmp_path / "stale.sock"      # a socket file left by a dead HAProxy
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(stale))
    with pytest.raises(NotRunning):
        command(stale, "show info")


# -- counters and the request log ----------------------------------------------------------------
def test_old_haproxy_rows_without_req_tot_count_their_responses() -> None:
    text = ("# pxname,svname,bin,bout,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,req_tot\n"
            "svc_x_web,s0a,10,20,1,5,2,3,4,\n"
            ",,1,1,1,1,1,1,1,1\n"                       # no proxy name: skipped
            "svc_x_web,BACKEND,10,20,1,5,2,3,4,99\n")
    rows = parse_stat(text)
    assert rows[("svc_x_web", "s0a")] == Counters(15, 1, 5, 2, 3, 4, 10, 20)
    assert rows[("svc_x_web", "BACKEND")].requests == 99
    assert len(rows) == 2


def test_counters_minus_restarts_when_only_bytes_went_down() -> None:
    before = Counters(requests=10, bytes_out=1000)
    after = Counters(requests=12, bytes_out=50)       # a reload, then more requests than before
    assert after.minus(before) == after


@pytest.mark.parametrize(("share", "value"), [(0.5, 3.0), (0.99, 5.0), (0.0, 1.0), (1.0, 5.0)])
def test_percentiles_of_a_few_values(share: float, value: float) -> None:
    assert percentile([5, 1, 4, 2, 3], share) == value


@pytest.fixture
def request_log(tmp_path: Path) -> Iterator[RequestLog]:
    log = RequestLog(tmp_path / "requests.sock")   # not started: lines are fed with add()
    yield log
    log.stop()


@pytest.mark.parametrize(("line", "kept"), [
    ("svc_a_web s0a 200 12 100", {"svc_a_web": [12.0]}),
    ("<134>Nov 30 10:00:00 haproxy[1]: svc_a_web s0b 500 3.5 0", {"svc_a_web": [3.5]}),
    ("svc_a_web s0a -1 -1 0", {}),                   # aborted: HAProxy logs -1
    ("svc_a_web s0a 200 abc 0", {}),
    ("svc_a_web s0a 200", {}),                       # cut short
    ("site_a_docs nginx 200 4 100", {}),             # static sites are not services
    ("", {})])
def test_request_log_lines_keep_service_latencies_only(request_log: RequestLog, line: str,
                                                       kept: dict[str, list[float]]) -> None:
    request_log.add(line)
    assert request_log.take() == kept


def test_request_log_groups_by_backend_and_take_empties_it(request_log: RequestLog) -> None:
    for line in ("svc_a_web s0a 200 1 1", "svc_a_api s0a 200 2 1", "svc_a_web s0b 200 3 1"):
        request_log.add(line)
    assert request_log.take() == {"svc_a_web": [1.0, 3.0], "svc_a_api": [2.0]}
    assert request_log.take() == {}


def test_request_log_binds_a_private_socket_replacing_a_stale_one(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "requests.sock"
    path.parent.mkdir()
    path.write_text("stale")
    log = RequestLog(path)
    try:
        assert path.is_socket() and (path.stat().st_mode & 0o777) == 0o600
    finally:
        log.stop()
