"""Run child processes from argv lists (docs/conventions.md §7: commands are data).

One ``run`` executes every command: it streams output line by line into a ``Log`` (indented
seven spaces, secrets replaced by ``***``) and raises ``CommandFailed`` with the tail of the output.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from dockyard.errors import CommandFailed
from dockyard.logs import Log


def run(
    argv: Sequence[str],
    *,
    log: Log,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    code: str = "command.failed",
    what: str | None = None,
    timeout: float | None = None,
    raw: bool = False,
    pass_fds: Sequence[int] = (),
    preexec_fn: Callable[[], None] | None = None,
) -> list[str]:
    """Run ``argv``, stream its output into ``log`` and return its lines.

    ``env`` replaces the environment entirely when given (builds must not leak our own).
    ``raw`` writes lines as they come (a child that formats its own log), else indented.
    Raises ``CommandFailed`` naming ``what`` (default: the program) with the last 30 lines.
    """
    lines: list[str] = []
    tail: deque[str] = deque(maxlen=30)
    write = log.write if raw else log.child
    with subprocess.Popen(
        list(argv), cwd=cwd, env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, errors="replace", start_new_session=True, pass_fds=tuple(pass_fds),
        preexec_fn=preexec_fn,
    ) as proc:
        expired = threading.Event()
        timer = threading.Timer(timeout, kill_group, (proc, expired)) if timeout else None
        if timer:
            timer.start()
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                lines.append(line)
                tail.append(log.mask(line))
                write(line)
            rc = proc.wait()
        finally:
            if timer:
                timer.cancel()
    name = what or Path(argv[0]).name
    if expired.is_set():
        raise CommandFailed(f"{name} did not finish within {timeout:g} s and was stopped",
                            code=code, returncode=rc, tail=list(tail))
    if rc != 0:
        raise CommandFailed(f"{name} exited with status {rc}", code=code, returncode=rc,
                            tail=list(tail), output=[log.mask(line) for line in lines])
    return lines


def kill_group(proc: subprocess.Popen[str], expired: threading.Event) -> None:
    """Stop a child and everything it started (it runs in its own session)."""
    expired.set()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def capture(argv: Sequence[str], *, cwd: str | Path | None = None,
            env: Mapping[str, str] | None = None) -> str:
    """Run a quick command and return its stdout; raise ``CommandFailed`` with its stderr."""
    res = subprocess.run(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        msg = (res.stderr or res.stdout).strip()
        raise CommandFailed(f"{Path(argv[0]).name} {argv[1] if len(argv) > 1 else ''} failed: "
                            f"{msg}", returncode=res.returncode, tail=msg.splitlines()[-30:])
    return res.stdout


def base_env() -> dict[str, str]:
    """The minimal environment children start from: PATH, HOME, LANG, never our own secrets."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME", "SSL_CERT_FILE",
            "GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME", "UV_CACHE_DIR",
            "UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL", "PIP_FIND_LINKS",
            "PIP_CERT", "REQUESTS_CA_BUNDLE")
    return {k: v for k, v in os.environ.items() if k in keep}
