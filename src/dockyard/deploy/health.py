"""The health gate: a new instance takes traffic only once its readiness check passes.

DigitalOcean's ``health_check`` semantics and defaults: ``http_path`` means an
HTTP GET (2xx/3xx passes), none means a TCP connect. The budget before failing is
``initial_delay_seconds + period_seconds × failure_threshold`` (0 + 10 × 9 = 90 s by default);
until the first success Dockyard probes every 0.05 s inside that budget, so a fast app goes
live in well under a second instead of waiting a full period. The request carries the app's
real ``Host`` header so Django's ``ALLOWED_HOSTS`` does not fail it.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dockyard.errors import DockyardError

FAST_PROBE = 0.05


@dataclass(frozen=True)
class Check:
    port: int
    http_path: str | None = None
    host: str = "127.0.0.1"
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    timeout_seconds: int = 1
    success_threshold: int = 1
    failure_threshold: int = 9

    @classmethod
    def from_spec(cls, hc: dict[str, Any] | None, port: int, host: str) -> Check:
        hc = hc or {}
        known = {k: hc[k] for k in ("initial_delay_seconds", "period_seconds", "timeout_seconds",
                                    "success_threshold", "failure_threshold") if hc.get(k)}
        path = hc.get("http_path") or hc.get("path")
        return cls(port=int(hc.get("port") or port), http_path=path, host=host, **known)

    @property
    def budget(self) -> float:
        return self.initial_delay_seconds + self.period_seconds * self.failure_threshold

    def describe(self) -> str:
        what = f"GET {self.http_path}" if self.http_path else "TCP connect"
        return f"{what} on 127.0.0.1:{self.port}"


def probe(check: Check) -> str | None:
    """One probe; ``None`` when healthy, else why not."""
    try:
        if not check.http_path:
            with socket.create_connection(("127.0.0.1", check.port), check.timeout_seconds):
                return None
        conn = http.client.HTTPConnection("127.0.0.1", check.port,
                                          timeout=check.timeout_seconds)
        try:
            conn.request("GET", check.http_path, headers={"Host": check.host,
                                                          "User-Agent": "dockyard-health"})
            status = conn.getresponse().status
        finally:
            conn.close()
        return None if 200 <= status < 400 else f"HTTP {status}"
    except OSError as exc:
        return str(exc) or type(exc).__name__


def wait_healthy(check: Check, alive: Callable[[], str | None], *,
                 clock: Callable[[], float] = time.monotonic,
                 on_attempt: Callable[[int, int, str], None] | None = None) -> float:
    """Probe until ``success_threshold`` passes in a row; return the seconds it took.

    ``alive()`` returns why the process is gone (it exited, crash-looped), or ``None``.
    Between fast probes, DigitalOcean's attempts are counted: once per ``period_seconds``
    a failing probe is reported to ``on_attempt(n, failure_threshold, why)``.
    """
    start = clock()
    time.sleep(check.initial_delay_seconds)
    deadline = start + check.budget
    passes, last, attempt = 0, "no probe yet", 0
    next_attempt = clock()
    while clock() < deadline:
        gone = alive()
        if gone:
            raise DockyardError(f"instance stopped before it became healthy: {gone}",
                                code="deploy.instance_exited")
        last = probe(check) or ""
        passes = passes + 1 if not last else 0
        if passes >= check.success_threshold:
            return clock() - start
        if last and clock() >= next_attempt and attempt < check.failure_threshold:
            attempt += 1  # a probe that outlasts the budget is no attempt of its own
            next_attempt += check.period_seconds
            if on_attempt:
                on_attempt(attempt, check.failure_threshold, last)
        time.sleep(FAST_PROBE if passes == 0 else min(check.period_seconds, 1))
    raise DockyardError(
        f"health check failed: {check.describe()} did not pass within {check.budget:.0f} s "
        f"(last result: {last})", code="deploy.health_check_failed",
        hint="Check the run log (`dockyard apps logs APP --type run`) and the spec's "
             "health_check.")
