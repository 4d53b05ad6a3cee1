"""A small client for HAProxy's runtime API (stats socket) and master CLI (AF_UNIX).

The switch is a pair of command lines sent over one connection in interactive ("prompt")
mode: the first points the inactive slots at the new ports, the second sets them ``ready``
and the old ones ``maint`` — one line, so HAProxy applies the whole switch at once.
"""

from __future__ import annotations

import contextlib
import csv
import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from dockyard.errors import DockyardError

PROMPT = "\n> "
ADDR_OK = re.compile(r"changed from|no need to change")


class NotRunning(DockyardError):
    """The socket is absent or refuses connections: HAProxy is not running (yet)."""

    code = "router.not_running"


def _connect(path: Path, timeout: float) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise NotRunning(f"HAProxy is not running ({path}: {exc.strerror})") from exc
    return sock


def command(path: Path, line: str, timeout: float = 5.0) -> str:
    """One command on its own connection; the answer is everything until HAProxy closes."""
    with contextlib.closing(_connect(path, timeout)) as sock:
        sock.sendall(line.encode() + b"\n")
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


class Conversation:
    """Interactive mode on one connection: each command answers, then prints a prompt."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = ""
        self.send("prompt", expect=1)

    def send(self, line: str, expect: int | None = None) -> list[str]:
        """Send one line of ``;``-separated commands; return each command's answer."""
        count = expect if expect is not None else len(line.split(";"))
        self.sock.sendall(line.encode() + b"\n")
        while self.buffer.count(PROMPT) < count:
            data = self.sock.recv(65536)
            if not data:
                raise DockyardError("HAProxy closed the runtime API connection mid-command",
                                    code="router.runtime_api")
            self.buffer += data.decode(errors="replace")
        parts = self.buffer.split(PROMPT)
        self.buffer = PROMPT.join(parts[count:])
        return [p.strip() for p in parts[:count]]


@contextlib.contextmanager
def conversation(path: Path, timeout: float = 5.0) -> Iterator[Conversation]:
    with contextlib.closing(_connect(path, timeout)) as sock:
        talk = Conversation(sock)
        yield talk
        with contextlib.suppress(OSError):
            sock.sendall(b"quit\n")


def check_addr_answers(commands: Sequence[str], answers: Sequence[str]) -> None:
    """``set server … addr`` answers with what changed; anything else is an error."""
    for cmd, answer in zip(commands, answers, strict=True):
        if not ADDR_OK.search(answer):
            raise DockyardError(f"HAProxy refused `{cmd.strip()}`: {answer or 'no answer'}",
                                code="router.runtime_api",
                                hint="The router state and haproxy.cfg may disagree; "
                                     "restart the router program to reload haproxy.cfg.")


def check_empty_answers(commands: Sequence[str], answers: Sequence[str]) -> None:
    """``set server … state`` answers nothing when it worked."""
    for cmd, answer in zip(commands, answers, strict=True):
        if answer:
            raise DockyardError(f"HAProxy refused `{cmd.strip()}`: {answer}",
                                code="router.runtime_api")


def current_sessions(stat_csv: str, servers: set[str]) -> int:
    """Sum of ``scur`` over ``servers`` in a ``show stat`` answer."""
    lines = stat_csv.lstrip("# ").splitlines()
    total = 0
    for row in csv.DictReader(lines):
        if row.get("svname") in servers:
            total += int(row.get("scur") or 0)
    return total


def parse_proc(text: str) -> tuple[int, int, list[int]]:
    """``(reloads, failed reloads, current worker pids)`` from the master's ``show proc``."""
    reloads = failed = 0
    workers: list[int] = []
    section = ""
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.strip("# ").split()[0] if line.strip("# ") else ""
            continue
        fields = line.split()
        if len(fields) >= 3 and fields[1] == "master":
            reloads = int(fields[2])
            found = re.search(r"failed: (\d+)", line)
            failed = int(found.group(1)) if found else 0
        elif len(fields) >= 2 and fields[1] == "worker" and section == "workers":
            workers.append(int(fields[0]))
    return reloads, failed, workers


def reload_master(master: Path, timeout: float = 15.0) -> bool:
    """Ask the master to reload and wait for the new worker; False when HAProxy is not up.

    The old worker finishes its connections in the background (``hard-stop-after``).
    """
    try:
        before, failed_before, _ = parse_proc(command(master, "show proc"))
    except NotRunning:
        return False
    with contextlib.suppress(OSError):  # the master re-executes itself and drops us
        command(master, "reload")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            reloads, failed, workers = parse_proc(command(master, "show proc"))
        except (NotRunning, OSError):
            continue
        if failed > failed_before:
            raise DockyardError("HAProxy failed to reload its configuration",
                                code="router.reload_failed",
                                hint="See the dockyard-haproxy program log in supervisord.")
        if reloads > before and workers:
            return True
    raise DockyardError(f"HAProxy did not finish reloading within {timeout:.0f} s",
                        code="router.reload_failed",
                        hint="See the dockyard-haproxy program log in supervisord.")
