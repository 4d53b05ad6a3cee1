"""A bounded request loop for zero-downtime tests and ``bench/zero_downtime.py`` (127.0.0.1
only).

Keep-alive threads reuse one connection; new-connection threads open one per request. Every
response is recorded with its thread, send time, latency and body; anything but a 200 is a
failure.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field


class LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with ``host`` as SNI, certificate name and Host header: what a
    client whose DNS points ``host`` at this machine does, without any DNS."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@dataclass
class Sample:
    thread: str
    at: float       # time.perf_counter() when the request was sent
    seconds: float  # until the response was read (or the error)
    status: int     # 0 for a connection error
    body: str

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def detail(self) -> str:
        """The body's first word (``version=…``), or what went wrong."""
        return self.body.split(" ", 1)[0] if self.ok else f"HTTP {self.status}: {self.body[:80]!r}"


@dataclass
class LoadLoop:
    port: int
    path: str = "/"
    keepalive_threads: int = 2
    fresh_threads: int = 2
    max_seconds: float = 900
    max_requests: int = 2_000_000
    pause: float = 0.005
    host: str | None = None                  # with ``tls``: HTTPS with this SNI and Host
    tls: ssl.SSLContext | None = None
    samples: list[Sample] = field(default_factory=list)
    failures: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.workers: list[threading.Thread] = []
        self.count = 0

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.count += 1
            self.samples.append(sample)
            if sample.status != 200:
                self.failures.append(sample)

    def done(self, started: float) -> bool:
        return (self.stop_event.is_set() or self.count >= self.max_requests
                or time.monotonic() - started > self.max_seconds)

    def run(self, name: str, keepalive: bool) -> None:
        started = time.monotonic()
        conn: http.client.HTTPConnection | None = None
        while not self.done(started):
            sent = time.perf_counter()
            try:
                if conn is None or not keepalive:
                    conn = self.connect()
                conn.request("GET", self.path)
                resp = conn.getresponse()
                body = resp.read().decode(errors="replace")
                self.record(Sample(name, sent, time.perf_counter() - sent, resp.status, body))
                if not keepalive or resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                self.record(Sample(name, sent, time.perf_counter() - sent, 0,
                                   f"{type(exc).__name__}: {exc}"))
                if conn:
                    conn.close()
                conn = None
            time.sleep(self.pause)  # pacing of the load, not a wait for anything
        if conn:
            conn.close()

    def connect(self) -> http.client.HTTPConnection:
        if self.tls is not None and self.host:
            return LoopbackHTTPS(self.host, self.port, self.tls, timeout=10)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def start(self) -> LoadLoop:
        for i in range(self.keepalive_threads):
            self.workers.append(threading.Thread(target=self.run, args=(f"keepalive-{i}", True)))
        for i in range(self.fresh_threads):
            self.workers.append(threading.Thread(target=self.run, args=(f"fresh-{i}", False)))
        for t in self.workers:
            t.daemon = True
            t.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        for t in self.workers:
            t.join(timeout=30)

    @property
    def threads(self) -> int:
        return self.keepalive_threads + self.fresh_threads

    def window(self, start: float, end: float) -> list[Sample]:
        """Samples sent between two ``time.perf_counter()`` readings."""
        with self.lock:
            return [s for s in self.samples if start <= s.at <= end]

    def versions(self, thread: str | None = None) -> list[str]:
        """The served versions in order, consecutive repeats removed."""
        out: list[str] = []
        for s in self.samples:
            if thread and s.thread != thread or not s.body.startswith("version="):
                continue
            v = s.body.split()[0].removeprefix("version=")
            if not out or out[-1] != v:
                out.append(v)
        return out
