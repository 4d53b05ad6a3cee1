"""Signals to the router's own processes, found by pid file and checked by name in /proc.

A stale pid file never makes us signal a stranger: the pid must belong to a process whose
``comm`` is the expected program (processes are found by id, never killed by name).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path


def pid_of(pidfile: Path, program: str) -> int | None:
    """The pid in ``pidfile`` if that process is alive and is ``program``."""
    try:
        pid = int(pidfile.read_text().split()[0])
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None
    return pid if comm == program else None


def children(pid: int) -> set[int]:
    """Child pids of ``pid`` (from /proc/*/stat; the ``children`` file needs a kernel option)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def reload_nginx(pidfile: Path, timeout: float = 10.0) -> bool:
    """SIGHUP the nginx master and wait until its old workers are gone; False if not running.

    New workers take new connections as soon as they start; old ones finish theirs first.
    """
    pid = pid_of(pidfile, "nginx")
    if pid is None:
        return False
    old = children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = children(pid)
        if now - old and not now & old:
            return True
        time.sleep(0.05)
    return True


def accepts(port: int, timeout: float = 0.5) -> bool:
    """Whether something listens on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
