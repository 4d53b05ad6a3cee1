"""Processes read from /proc: names, parents, children, environments (no ``ps``, no names
used to pick a victim: pids come from pid files or supervisord, then parent links)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    comm: str
    state: str
    text: str  # the command line and the environment, NULs as spaces


def read(pid: int) -> Proc | None:
    """One process, or None when it is gone (a zombie counts as gone)."""
    base = Path(f"/proc/{pid}")
    try:
        stat = (base / "stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        text = (base / "cmdline").read_bytes()
        with contextlib.suppress(OSError):
            text += b" " + (base / "environ").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    if fields[0] in ("Z", "X"):
        return None
    return Proc(pid, int(fields[1]), comm, fields[0], text.replace(b"\0", b" ").decode(
        errors="replace"))


def every() -> list[Proc]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (proc := read(int(entry.name))):
            found.append(proc)
    return found


def alive(pid: int) -> bool:
    return read(pid) is not None


def comm(pid: int) -> str:
    proc = read(pid)
    return proc.comm if proc else ""


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").split("=", 1) for item in raw.split(b"\0") if item)
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def children(pid: int, procs: list[Proc] | None = None) -> list[int]:
    return sorted(p.pid for p in (procs if procs is not None else every()) if p.ppid == pid)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, nearest first (breadth-first)."""
    procs = every()
    found: list[int] = []
    queue = [pid]
    while queue:
        kids = children(queue.pop(0), procs)
        found += kids
        queue += kids
    return found


def ancestors(pid: int, procs: dict[int, Proc]) -> list[int]:
    """Parents of ``pid`` up to init, nearest first."""
    chain: list[int] = []
    while pid in procs and pid > 1:
        pid = procs[pid].ppid
        if pid in chain:
            break
        chain.append(pid)
    return chain
