"""What a killed supervisord left behind is found, even before init has reaped it.

A supervisord killed with ``kill -9`` stays a zombie until its parent (init, since it
daemonized) reaps it; some inits take seconds (1.9 s measured on this machine). A zombie
still answers ``kill(pid, 0)``, so it must not count as a running supervisord.
Real processes: a session leader that stands for supervisord, with a program in its session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard.paths import Home
from dockyard.runtime.local import leftovers
from dockyard.runtime.local.supervisor import Supervisor

# Leads a session (like supervisord after daemonizing), starts a "program" in a process
# group of its own inside that session, prints the program's pid, then waits to be killed.
LEADER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         process_group=0)
print(child.pid, flush=True)
time.sleep(120)
"""


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


@pytest.fixture
def killed_session(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A "supervisord" killed with -9 and not reaped yet (a zombie), its program running."""
    home = Home(tmp_path / "home")
    home.supervisor.mkdir(parents=True)
    leader = subprocess.Popen([sys.executable, "-c", LEADER], start_new_session=True,
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "DOCKYARD_HOME": str(home.root)})
    assert leader.stdout is not None
    program = int(leader.stdout.readline())
    (home.supervisor / "supervisord.pid").write_text(f"{leader.pid}\n")
    os.kill(leader.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while state(leader.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state(leader.pid) == "Z"  # not reaped: we are its parent and have not waited
    yield home, leader, program
    for pid in (program,):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    leader.wait()
    leader.stdout.close()


def test_a_killed_supervisord_not_yet_reaped_counts_as_dead(killed_session):  # type: ignore[no-untyped-def]
    home, leader, program = killed_session
    assert Supervisor(home).pid() is None
    assert leftovers.dead_supervisord(home) == leader.pid
    assert program in leftovers.find(home)


def test_its_programs_are_stopped(killed_session):  # type: ignore[no-untyped-def]
    home, _, program = killed_session
    assert program in leftovers.stop(home, grace=5)
    assert state(program) in ("Z", "gone")


def test_a_stranger_that_reused_the_pid_is_not_supervisord(tmp_path: Path):
    home = Home(tmp_path / "home")
    home.supervisor.mkdir(parents=True)
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (home.supervisor / "supervisord.pid").write_text(f"{stranger.pid}\n")
        assert Supervisor(home).pid() is None
    finally:
        stranger.kill()
        stranger.wait()
