"""``python -m dockyard.router.prestart PIDFILE COMM -- ARGV…``: stop what a killed master
left, then become ``ARGV``.

``kill -9`` of nginx's (or HAProxy's) master leaves its workers running, holding the listening
ports and serving the old configuration; supervisord would restart the master, which loops on
``bind() failed`` while ``status`` calls it RUNNING. The workers are still in the dead master's
process group (supervisord starts each program in a group of its own, led by it), so before
the new master starts, every process of that group whose name is ``COMM`` is stopped — found
by the pid the master wrote, never by name alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path


def group_members(pgid: int, comm: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and name == comm and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def stop_leftovers(pidfile: Path, comm: str, timeout: float = 5.0) -> list[int]:
    """SIGKILL the processes named ``comm`` left in the group of the master in ``pidfile``."""
    try:
        pgid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    try:
        os.kill(pgid, 0)
        return []  # the master is alive: nothing was left behind
    except ProcessLookupError:
        pass
    except PermissionError:
        return []
    left = group_members(pgid, comm)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while group_members(pgid, comm) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def main(argv: list[str]) -> None:
    pidfile, comm, sep, *command = argv[1:]
    assert sep == "--" and command, "usage: prestart PIDFILE COMM -- ARGV…"
    left = stop_leftovers(Path(pidfile), comm)
    if left:
        print(f"dockyard: stopped {len(left)} {comm} process(es) a killed master left: {left}",
              file=sys.stderr, flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
