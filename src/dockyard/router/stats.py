"""Traffic figures from HAProxy: counters from its runtime API, latencies from its request log.

``show stat`` gives, per service backend and per server (each instance's two slots), the
requests, responses per status class and bytes since HAProxy's worker started (a reload
starts them again at 0; the metrics sampler takes differences and treats a drop as a
restart). Percentiles are not in the stats, so HAProxy also sends one line per request
(``%b %s %ST %Ta %B``: backend, server, status, total active time in ms, bytes) to a datagram
socket that ``RequestLog`` reads; a missing reader costs HAProxy nothing (it drops lines).
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FIELDS = {"requests": "req_tot", "r1xx": "hrsp_1xx", "r2xx": "hrsp_2xx", "r3xx": "hrsp_3xx",
          "r4xx": "hrsp_4xx", "r5xx": "hrsp_5xx", "bytes_in": "bin", "bytes_out": "bout"}


@dataclass(frozen=True)
class Counters:
    """Cumulative counters of one backend or server (``show stat`` columns)."""

    requests: int = 0
    r1xx: int = 0
    r2xx: int = 0
    r3xx: int = 0
    r4xx: int = 0
    r5xx: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    def minus(self, before: Counters | None) -> Counters:
        """What happened since ``before``; all of it when the counters restarted."""
        if before is None:
            return Counters()
        if self.requests < before.requests or self.bytes_out < before.bytes_out:
            return self
        return Counters(**{k: getattr(self, k) - getattr(before, k) for k in FIELDS})


@dataclass
class ServiceCounters:
    """A service component: its backend's counters, and each server's with the port it
    points at now."""

    name: str                                    # the backend (lines of ``RequestLog``)
    backend: Counters
    servers: dict[str, tuple[int | None, Counters]] = field(default_factory=dict)


def parse_stat(text: str) -> dict[tuple[str, str], Counters]:
    """``(proxy, server)`` → counters, from a ``show stat`` CSV answer (``BACKEND`` rows
    are the backends' totals)."""
    lines = text.lstrip("# ").splitlines()
    out = {}
    for row in csv.DictReader(lines):
        if not row.get("pxname") or not row.get("svname"):
            continue
        values = {k: int(row.get(col) or 0) for k, col in FIELDS.items()}
        if not row.get("req_tot"):  # servers before HAProxy 2.x count sessions only
            values["requests"] = sum(values[f"r{n}xx"] for n in range(1, 6))
        out[(row["pxname"], row["svname"])] = Counters(**values)
    return out


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0.95 for p95); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


class RequestLog:
    """Reads HAProxy's per-request lines from ``path`` (a unix datagram socket we bind) and
    keeps each service backend's latencies until ``take()``."""

    def __init__(self, path: Path, *, prefix: str = "svc_") -> None:
        self.path = path
        self.prefix = prefix
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.stopped = threading.Event()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        os.chmod(path, 0o600)
        self.sock.settimeout(0.5)
        self.thread = threading.Thread(target=self.loop, daemon=True, name="request-log")

    def start(self) -> RequestLog:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()

    def loop(self) -> None:
        while not self.stopped.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            self.add(data.decode(errors="replace"))

    def add(self, line: str) -> None:
        """One line: ``backend server status Ta bytes`` (a syslog header is skipped)."""
        parts = line.split()
        for i, part in enumerate(parts):
            if part.startswith(self.prefix) and len(parts) >= i + 4:
                try:
                    took = float(parts[i + 3])
                except ValueError:
                    return
                if took >= 0:
                    with self.lock:
                        self.latencies.setdefault(part, []).append(took)
                return

    def take(self) -> dict[str, list[float]]:
        """The latencies (ms) seen per backend since the last call."""
        with self.lock:
            taken, self.latencies = self.latencies, {}
        return taken
