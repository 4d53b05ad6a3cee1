"""One real PostgreSQL per test session, started from ``program().argv`` like supervisord
would, and stopped by its pid (SIGINT: fast shutdown) at the end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockyard.databases import PostgresServer
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.settings import free_port


@dataclass
class RunningPostgres:
    """The session's server and the process running it."""

    server: PostgresServer
    proc: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        prog = self.server.program()
        Path(prog.log or os.devnull).parent.mkdir(parents=True, exist_ok=True)
        with open(prog.log or os.devnull, "ab") as out:
            self.proc = subprocess.Popen(list(prog.argv), cwd=prog.cwd, env=dict(prog.env),
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.server.wait_ready(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPostgres]:
    home = Home(tmp_path_factory.mktemp("pg-home"))
    server = PostgresServer(home, free_port())
    init_log = Log(home.root / "logs" / "init.log")
    server.ensure_initialized(init_log)
    init_log.close()
    running = RunningPostgres(server)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if server.layout.state != server.layout.home_dir:  # root: the cluster lives outside
            shutil.rmtree(server.layout.state, ignore_errors=True)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    log = Log(tmp_path / "test.log")
    yield log
    log.close()
