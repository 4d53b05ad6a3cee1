"""The health gate against real sockets: HTTP with the app's Host header, TCP, budgets."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockyard.deploy.health import Check, probe, wait_healthy
from dockyard.errors import DockyardError


class Handler(BaseHTTPRequestHandler):
    allowed_host = "127.0.0.1:9999"

    def do_GET(self) -> None:  # noqa: N802
        ok = self.headers.get("Host") == self.allowed_host  # like Django's ALLOWED_HOSTS
        self.send_response(200 if ok else 400)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_http_check_sends_the_apps_host_header(server):  # type: ignore[no-untyped-def]
    assert probe(Check(port=server, http_path="/health", host="127.0.0.1:9999")) is None
    assert probe(Check(port=server, http_path="/health", host="evil.example")) == "HTTP 400"


def test_no_http_path_means_a_tcp_check(server):  # type: ignore[no-untyped-def]
    assert probe(Check(port=server)) is None
    assert probe(Check(port=closed_port())) is not None


def test_defaults_are_digitaloceans_and_the_budget_follows_them():
    check = Check.from_spec(None, 8080, "h")
    assert (check.initial_delay_seconds, check.period_seconds, check.timeout_seconds,
            check.success_threshold, check.failure_threshold) == (0, 10, 1, 1, 9)
    assert check.budget == 90
    assert Check.from_spec({"http_path": "/up", "failure_threshold": 3, "period_seconds": 2},
                           1, "h").budget == 6


def test_a_check_that_never_passes_fails_within_its_budget():
    check = Check(port=closed_port(), period_seconds=1, failure_threshold=1)
    with pytest.raises(DockyardError) as err:
        wait_healthy(check, lambda: None)
    assert err.value.code == "deploy.health_check_failed"


def test_an_instance_that_exits_fails_at_once():
    check = Check(port=closed_port(), period_seconds=10, failure_threshold=9)
    with pytest.raises(DockyardError) as err:
        wait_healthy(check, lambda: "EXITED")
    assert err.value.code == "deploy.instance_exited"


def test_a_healthy_instance_passes_fast(server):  # type: ignore[no-untyped-def]
    took = wait_healthy(Check(port=server, http_path="/", host="127.0.0.1:9999"), lambda: None)
    assert took < 1


def test_each_failed_attempt_is_reported_once_per_period(server):  # type: ignore[no-untyped-def]
    attempts: list[tuple[int, int, str]] = []
    check = Check(port=server, http_path="/", host="wrong.example", period_seconds=1,
                  failure_threshold=3)
    with pytest.raises(DockyardError) as err:
        wait_healthy(check, lambda: None, on_attempt=lambda n, m, why: attempts.append((n, m, why)))
    assert err.value.code == "deploy.health_check_failed"
    assert [(n, m) for n, m, _ in attempts] == [(1, 3), (2, 3), (3, 3)]
    assert all(why == "HTTP 400" for _, _, why in attempts)


def test_a_probe_that_outlasts_the_budget_is_not_an_attempt_beyond_the_threshold():
    """The last probe starts inside the budget and ends after it (a loaded machine): the
    deploy log must not say "attempt 4 of 3"."""
    times = iter([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.9, 3.5, 3.6])
    attempts: list[tuple[int, int]] = []
    check = Check(port=closed_port(), period_seconds=1, failure_threshold=3)
    with pytest.raises(DockyardError):
        wait_healthy(check, lambda: None, clock=lambda: next(times),
                     on_attempt=lambda n, of, _why: attempts.append((n, of)))
    assert attempts == [(1, 3), (2, 3), (3, 3)]
