"""Usage of a process tree from ``/proc``, where cgroup limits are off (not root, no
writable hierarchy): the CPU seconds and resident memory of a program and its descendants.

Children that already ended are not counted (cgroups count them; ``/proc`` cannot), so CPU
figures from here can be lower for programs that fork short-lived workers.
"""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.isolation.cgroups import Usage

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def stat_fields(pid: int, proc: Path = PROC) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def descendants(root: int, proc: Path = PROC) -> set[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name), proc)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_usage(root: int, proc: Path = PROC) -> Usage | None:
    """CPU seconds (user + system) and resident bytes of ``root``'s tree; None if it is gone."""
    cpu, rss, seen = 0, 0, False
    for pid in descendants(root, proc):
        fields = stat_fields(pid, proc)
        if not fields:
            continue
        seen = True
        cpu += int(fields[11]) + int(fields[12])        # utime, stime (fields 14, 15)
        rss += int(fields[21]) * PAGE                   # rss pages (field 24)
    return Usage(cpu_seconds=cpu / TICKS, memory_bytes=rss, oom_kills=0) if seen else None
