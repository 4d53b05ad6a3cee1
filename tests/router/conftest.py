"""Router fixtures: real haproxy and nginx started from ``programs()``, real gunicorn backends.

Everything runs on 127.0.0.1 on ports picked at run time, and every process is stopped by its
own pid in teardown (terminate, wait, kill).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard.router import HAProxyRouter
from dockyard.router.files import Layout
from tests.conftest import wait_for

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WSGI_APP = '''\
import json, os, time

NAME = os.environ["BACKEND_NAME"]


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":  # a request held open: the session and drain tests
        time.sleep(float(environ.get("QUERY_STRING") or 1))
    body = json.dumps({
        "name": NAME,
        "path": environ["PATH_INFO"],
        "raw_uri": environ.get("RAW_URI", ""),
        "query": environ["QUERY_STRING"],
        "host": environ.get("HTTP_HOST"),
        "xff": environ.get("HTTP_X_FORWARDED_FOR"),
        "proto": environ.get("HTTP_X_FORWARDED_PROTO"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate by pid, wait, then kill if it is still there."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Procs:
    """Processes a test started; all stopped at teardown, newest first."""

    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: list[str], name: str, *, cwd: str | None = None,
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}-{len(self.started)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        """Signal all first (haproxy closes its pooled backend connections), then reap."""
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.started):
            stop(proc)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    logs = tmp_path / "proc-logs"
    logs.mkdir()
    running = Procs(logs)
    yield running
    running.stop_all()


@pytest.fixture
def short_home() -> Iterator[Path]:
    """A short router home (unix socket paths are limited to 107 bytes)."""
    root = Path(tempfile.mkdtemp(prefix="dyr-"))
    yield root / "router"
    shutil.rmtree(Layout(root / "router").sites, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class RouterUnderTest:
    router: HAProxyRouter
    procs: Procs
    shared_port: int
    haproxy: subprocess.Popen[bytes] | None = None
    nginx: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start haproxy and nginx exactly as the supervisor would (``programs()``)."""
        for program in self.router.programs():
            proc = self.procs.start(program.argv, program.name, cwd=program.cwd)
            if "haproxy" in program.name:
                self.haproxy = proc
            else:
                self.nginx = proc
        wait_for(self.router.ready, "haproxy and nginx to answer")

    def restart_haproxy(self) -> None:
        assert self.haproxy is not None
        stop(self.haproxy)
        wait_for(lambda: not listening(self.shared_port), "haproxy to stop")
        program = next(p for p in self.router.programs() if "haproxy" in p.name)
        self.haproxy = self.procs.start(program.argv, program.name, cwd=program.cwd)
        wait_for(self.router.ready, "haproxy to answer again")


@pytest.fixture
def running_router(short_home: Path, procs: Procs) -> RouterUnderTest:
    shared = free_port()
    rut = RouterUnderTest(HAProxyRouter(short_home, shared_port=shared), procs, shared)
    rut.start()
    return rut


@pytest.fixture
def backend(tmp_path: Path, procs: Procs) -> Callable[[str], tuple[int, subprocess.Popen[bytes]]]:
    """Start a gunicorn (gthread: keep-alive works) answering with its name; returns its port."""
    app_dir = tmp_path / "wsgi"
    app_dir.mkdir()
    (app_dir / "echo_app.py").write_text(WSGI_APP)

    def start(name: str) -> tuple[int, subprocess.Popen[bytes]]:
        port = free_port()
        env = {**os.environ, "BACKEND_NAME": name}
        argv = [GUNICORN, "-b", f"127.0.0.1:{port}", "-w", "1", "-k", "gthread",
                "--threads", "16", "--keep-alive", "5", "--graceful-timeout", "5",
                "--chdir", str(app_dir), "echo_app:app"]
        proc = procs.start(argv, f"gunicorn-{name}", env=env)
        wait_for(lambda: listening(port), f"gunicorn {name} on {port}")
        return port, proc

    return start


def new_app_id() -> str:
    return str(uuid.uuid4())


def request(port: int, path: str, *, host: str | None = None, method: str = "GET",
            timeout: float = 10) -> tuple[int, bytes, dict[str, str]]:
    """One request on a new connection; the path is sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host or f"127.0.0.1:{port}")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def echo(port: int, path: str, *, host: str | None = None) -> dict[str, str]:
    """The backend's JSON answer for ``path`` (asserting a 200)."""
    status, body, _ = request(port, path, host=host)
    assert status == 200, (status, body[:300])
    return json.loads(body)
