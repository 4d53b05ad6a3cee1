"""Real receivers on 127.0.0.1 at ports chosen at run time: an HTTP webhook and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from dockyard.alerts import AlertEvent, SMTPSettings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """Answers each POST with the next scripted status (then 200) and records it."""

    url: str
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            return self.statuses.pop(0) if self.statuses else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Received(self.path, dict(self.headers), json.loads(raw)))
            time.sleep(receiver.delay)  # a slow receiver is what the dispatcher tests need
            body = b"ok" if status < 400 else b"invalid_payload"
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def receiving(path: str = "") -> Iterator[Receiver]:
    """A ``Receiver`` on 127.0.0.1 at a port chosen now, whose ``url`` ends with ``path``."""
    receiver = Receiver("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and no one else can take it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


class Mailbox:
    """An aiosmtpd handler that keeps every message; ``refuse`` scripts RCPT replies."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.refuse: list[str] = []
        self.rcpt_calls = 0

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        self.rcpt_calls += 1
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    port: int
    mailbox: Mailbox


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_settings(port: int) -> SMTPSettings:
    return SMTPSettings(host="127.0.0.1", port=port, sender="dockyard@example.test", timeout=2)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield SMTPServer(controller.port, mailbox)
    controller.stop()


@pytest.fixture
def event() -> AlertEvent:
    return AlertEvent(rule="DEPLOYMENT_FAILED", app_name="profileapp", app_id="app-1",
                      deployment_id="1a2b3c", phase="ERROR",
                      message="Deployment 1a2b3c of profileapp failed: "
                              "build.dependencies_failed: uv sync exited 1",
                      live_url="https://profileapp.example.test")
