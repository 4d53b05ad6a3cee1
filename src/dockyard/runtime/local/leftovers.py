"""What a killed supervisord leaves behind, found by the session it led, and stopped.

supervisord daemonizes into a session of its own (its pid is the session id) and starts each
program in a process group of its own, inside that session. ``kill -9`` of supervisord leaves
every program running (HAProxy, nginx, the API server, every instance), and a new supervisord
would start a second copy of each beside them: ports taken, crash loops, two versions
answering. So before anything starts, the processes of the dead supervisord's session are
found (from the pid file it left) and their process groups stopped: SIGTERM, then SIGKILL.

Only groups that are ours are touched: a group counts when one of its processes names this
installation's home (or the PostgreSQL data kept for it) on its command line, or has it as
``DOCKYARD_HOME`` (supervisord hands it to every program).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from dockyard.paths import Home
from dockyard.runtime.local.supervisor import Supervisor


@dataclass(frozen=True)
class Proc:
    pid: int
    pgid: int
    sid: int
    cmdline: str


def processes() -> list[Proc]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            with contextlib.suppress(OSError):
                cmdline += " " + (entry / "environ").read_bytes().replace(b"\0", b" ").decode(
                    errors="replace")
            if fields[0] != "Z":
                found.append(Proc(int(entry.name), int(fields[2]), int(fields[3]), cmdline))
    return found


def dead_supervisord(home: Home) -> int | None:
    """The pid of a supervisord that left its pid file behind and is gone (or a zombie not
    yet reaped), else None."""
    try:
        pid = int((home.supervisor / "supervisord.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if Supervisor(home).pid() == pid else pid  # alive: it runs its programs


def marks(home: Home) -> tuple[str, ...]:
    """Strings on the command line of a process of this installation."""
    root = str(home.root)
    found = [root, f"DOCKYARD_HOME={root}"]
    with contextlib.suppress(OSError):
        found.append(str((home.root / "postgres" / "data").resolve()))
    return tuple(found)


def groups_of(home: Home, sid: int) -> set[int]:
    """Process groups of the dead session that belong to this installation."""
    mine = set(marks(home))
    in_session = [p for p in processes() if p.sid == sid and p.pid != os.getpid()]
    return {p.pgid for p in in_session if any(m in p.cmdline for m in mine)}


def find(home: Home) -> list[int]:
    """Pids left by a dead supervisord of this installation (empty if there are none)."""
    sid = dead_supervisord(home)
    if sid is None:
        return []
    groups = groups_of(home, sid)
    return sorted(p.pid for p in processes() if p.pgid in groups and p.pid != os.getpid())


def stop(home: Home, grace: float = 10.0) -> list[int]:
    """Stop what a dead supervisord left (SIGTERM, SIGKILL after ``grace``); the pids."""
    sid = dead_supervisord(home)
    if sid is None:
        return []
    groups = groups_of(home, sid)
    pids = sorted(p.pid for p in processes() if p.pgid in groups and p.pid != os.getpid())
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(p.pgid in groups for p in processes()):
            time.sleep(0.1)
    (home.supervisor / "supervisord.pid").unlink(missing_ok=True)
    return pids
