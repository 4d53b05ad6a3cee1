"""supervisord: configuration, start, XML-RPC, shutdown.

supervisord runs the API server, HAProxy, nginx and every app instance, each as its own
program, so apps outlive the API server and crashed processes restart with backoff.
Programs are added and removed at run time through files in ``programs/`` plus
``reloadConfig``/``addProcessGroup`` over XML-RPC on a unix socket (mode 0700).
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.entrypoints import SUPERVISORD, argv
from dockyard.errors import DockyardError
from dockyard.paths import Home


@dataclass(frozen=True)
class ProgramSpec:
    """One supervised program (one instance, or a part of the control plane)."""

    name: str
    argv: Sequence[str]
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    log: str | None = None           # stdout+stderr file; default under supervisor/logs
    autostart: bool = True
    startsecs: int = 1
    stopwaitsecs: int = 10
    stopsignal: str = "TERM"


def quote(value: str) -> str:
    """Quote for supervisord's ``environment=``: it splits the line with shlex in non-POSIX
    mode (no backslash escapes) and strips quote characters from both ends of each value, so
    a value goes in whichever quotes it does not hold, as it is; % is doubled for its
    interpolation. ``check_program`` refuses the values this cannot carry."""
    mark = "'" if '"' in value else '"'
    return mark + value.replace("%", "%%") + mark


def unquotable(value: str) -> bool:
    """A value supervisord's ``environment=`` cannot carry unchanged."""
    quotes = ("'", '"')
    return ('"' in value and "'" in value) or value.startswith(quotes) or value.endswith(quotes)


def command_line(argv: Sequence[str]) -> str:
    """supervisord splits ``command`` with shlex; % must be doubled for its interpolation."""
    import shlex

    return " ".join(shlex.quote(a) for a in argv).replace("%", "%%")


PROGRAM_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
ENV_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f]")
_INLINE_COMMENT = re.compile(r"\s[;#]")      # supervisord's parser ends the value there


def check_program(prog: ProgramSpec) -> None:
    """Refuse a program whose name or values would break (or add) a config line.

    The name becomes ``programs/<name>.conf`` and ``[program:<name>]``; every value is one
    ini line. A newline there once made supervisord refuse every reload, and every start.
    """
    if not PROGRAM_NAME_RE.fullmatch(prog.name):
        raise DockyardError(f"supervisord program name {prog.name!r}: expected letters, digits "
                            "and ._- (at most 200)", code="runtime.bad_program")
    problem = value_problem(prog)
    if problem:
        raise DockyardError(f"supervisord program {prog.name}: {problem}",
                            code="runtime.bad_program")


def value_problem(prog: ProgramSpec) -> str:
    """Why one of the program's values cannot go into its file unchanged ('' when none)."""
    values = [*prog.argv, prog.cwd or "", prog.log or "", *prog.env.values()]
    if any(_LINE_BREAKERS.search(v) for v in values):
        return "a value holds a control character"
    lines = [command_line(prog.argv), prog.cwd or "", prog.log or "", *prog.env.values()]
    if any(_INLINE_COMMENT.search(v) for v in lines):
        return "a value holds ' ;' or ' #', which supervisord reads as the start of a comment"
    keys = [k for k in prog.env if not ENV_KEY_RE.fullmatch(k)]
    if keys:
        return f"bad variable {keys[0]!r}"
    quotes = [k for k, v in prog.env.items() if unquotable(v)]
    if quotes:
        return f"the value of {quotes[0]} starts or ends with a quote, or holds both ' and \""
    return ""


def one_shot_transport(sock: Path) -> Any:
    """supervisord's unix-socket XML-RPC transport, closing its connection after each call
    (callers make one call per proxy; a kept-alive socket would leak until collected)."""
    return _one_shot_class()(None, None, f"unix://{sock}")


@functools.cache
def _one_shot_class() -> Any:
    """The transport class, made once (supervisor's module is imported on first use)."""
    from supervisor.xmlrpc import SupervisorTransport

    class OneShot(SupervisorTransport):  # type: ignore[misc]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().request(*args, **kwargs)
            finally:
                self.close()

    return OneShot


def program_file_ok(path: Path) -> bool:
    """Does supervisord's own parser read this file as the one program its name says?"""
    from supervisor.options import ServerOptions, UnhosedConfigParser

    if not PROGRAM_NAME_RE.fullmatch(path.stem):
        return False
    try:
        parser = UnhosedConfigParser()
        parser.read_string(path.read_text())
        options = ServerOptions()
        options.here = str(path.parent)
        groups = options.process_groups_from_parser(parser)
    except Exception:  # noqa: BLE001 - any refusal of supervisord's parser means "bad file"
        return False
    return [group.name for group in groups] == [path.stem]


def render_program(home: Home, prog: ProgramSpec) -> str:
    check_program(prog)
    log = prog.log or str(home.supervisor / "logs" / f"{prog.name}.log")
    lines = [f"[program:{prog.name}]", f"command={command_line(prog.argv)}",
             f"autostart={'true' if prog.autostart else 'false'}", "autorestart=true",
             f"startsecs={prog.startsecs}", "startretries=1000000",
             f"stopwaitsecs={prog.stopwaitsecs}", f"stopsignal={prog.stopsignal}",
             "stopasgroup=true", "killasgroup=true", "redirect_stderr=true",
             f"stdout_logfile={log}", "stdout_logfile_maxbytes=10MB",
             "stdout_logfile_backups=3"]
    if prog.cwd:
        lines.append(f"directory={prog.cwd}")
    if prog.env:
        lines.append("environment=" + ",".join(f"{k}={quote(v)}" for k, v in prog.env.items()))
    return "\n".join(lines) + "\n"


def render_main(home: Home, control: Sequence[ProgramSpec]) -> str:
    sup = home.supervisor
    parts = [
        "[unix_http_server]", f"file={sup / 'supervisor.sock'}", "chmod=0700", "",
        "[supervisord]", f"logfile={sup / 'supervisord.log'}", "logfile_maxbytes=10MB",
        f"pidfile={sup / 'supervisord.pid'}", f"childlogdir={sup / 'logs'}",
        f"directory={home.root}", "nodaemon=false", "minfds=4096", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{sup / 'supervisor.sock'}", "",
        "[include]", f"files = {sup / 'programs'}/*.conf", "",
    ]
    return "\n".join(parts) + "\n" + "\n".join(render_program(home, p) for p in control)


class Supervisor:
    """A handle on this installation's supervisord."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.conf = home.supervisor / "supervisord.conf"
        self.sock = home.supervisor / "supervisor.sock"
        self.pidfile = home.supervisor / "supervisord.pid"

    def rpc(self) -> Any:
        """supervisord's XML-RPC namespace (``.supervisor.getState()`` …), over its socket."""
        transport = one_shot_transport(self.sock)
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def process_info(self, name: str) -> dict[str, Any] | None:
        """supervisord's record of program ``name`` (state, pid …), or None if unknown."""
        try:
            return dict(self.rpc().supervisor.getProcessInfo(name))
        except xmlrpc.client.Fault:
            return None

    def all_process_info(self) -> list[dict[str, Any]]:
        return [dict(info) for info in self.rpc().supervisor.getAllProcessInfo()]

    def pid(self) -> int | None:
        """The pid in supervisord's pid file, if that process is this installation's
        supervisord: not a killed one that init has yet to reap (a zombie still answers
        ``kill(pid, 0)``; some inits reap after seconds), nor a stranger that reused the pid."""
        try:
            pid = int(self.pidfile.read_text().strip())
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return pid if str(self.conf).encode() in argv else None

    def running(self) -> bool:
        if self.pid() is None or not self.sock.exists():
            return False
        try:
            return bool(self.rpc().supervisor.getState()["statename"] == "RUNNING")
        except (OSError, xmlrpc.client.Fault):
            return False

    def write_config(self, control: Sequence[ProgramSpec]) -> None:
        for d in (self.home.supervisor / "programs", self.home.supervisor / "logs"):
            d.mkdir(parents=True, exist_ok=True)
        tmp = self.conf.with_suffix(".tmp")
        tmp.write_text(render_main(self.home, control))
        os.replace(tmp, self.conf)

    def start(self, env: Mapping[str, str]) -> None:
        """Start supervisord (it daemonizes itself) and wait until it answers."""
        res = subprocess.run(argv(SUPERVISORD, "-c", str(self.conf)), env=dict(env),
                             capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise DockyardError(f"supervisord did not start: {(res.stderr or res.stdout).strip()}",
                                code="runtime.supervisor_failed")
        wait_until(self.running, 20, "supervisord to answer on " + str(self.sock))

    @property
    def programs_dir(self) -> Path:
        return self.home.supervisor / "programs"

    def add(self, programs: Sequence[ProgramSpec]) -> None:
        """Write these programs' files (each atomically) and have supervisord start them."""
        self.programs_dir.mkdir(parents=True, exist_ok=True)
        for prog in programs:
            path = self.programs_dir / f"{prog.name}.conf"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(render_program(self.home, prog))
            os.replace(tmp, path)
        if programs:
            self.update()

    def remove(self, names: Sequence[str]) -> None:
        """Stop these programs and forget them (their files go first, then ``update``)."""
        for name in names:
            (self.programs_dir / f"{name}.conf").unlink(missing_ok=True)
        if names:
            self.update()

    def quarantine_bad_programs(self) -> list[str]:
        """Move aside every program file supervisord would refuse, before it reads them.

        supervisord reads ``programs/*.conf`` at start and at each ``reloadConfig``; one file
        it refuses (a name with a newline, a broken line, left by an older version or by hand)
        makes it refuse every start and every deployment. Such a file goes to
        ``supervisor/quarantine/`` (kept for a look, never read again); the names are returned.
        """
        moved: list[str] = []
        for path in sorted(self.programs_dir.glob("*.conf")):
            if program_file_ok(path):
                continue
            spare = self.home.supervisor / "quarantine"
            spare.mkdir(parents=True, exist_ok=True)
            os.replace(path, spare / f"{time.time_ns()}-{len(moved)}.conf")
            moved.append(path.name)
        return moved

    def program_names(self) -> list[str]:
        return sorted(p.stem for p in self.programs_dir.glob("*.conf"))

    def update(self) -> None:
        """Apply changed program files: add new, restart changed, remove gone (like `update`).

        ``reloadConfig`` sees every file at once, so callers in different processes (deploy
        workers of two apps, ``dockyard up``) take turns through a file lock.
        """
        from dockyard.locks import file_lock

        with file_lock(self.home.supervisor / "update.lock"):
            rpc = self.rpc()
            try:
                added, changed, removed = rpc.supervisor.reloadConfig()[0]
            except xmlrpc.client.Fault:  # CANT_REREAD: a file it refuses; set it aside, again
                if not self.quarantine_bad_programs():
                    raise
                added, changed, removed = rpc.supervisor.reloadConfig()[0]
            for name in removed + changed:
                self._remove(rpc, name)
            for name in changed + added:
                rpc.supervisor.addProcessGroup(name)

    @staticmethod
    def _remove(rpc: Any, name: str) -> None:
        try:
            rpc.supervisor.stopProcessGroup(name, True)
        except xmlrpc.client.Fault:
            pass
        rpc.supervisor.removeProcessGroup(name)

    def shutdown(self, timeout: float = 60) -> None:
        """Stop every program, then supervisord itself; by pid if XML-RPC fails."""
        pid = self.pid()
        if pid is None:
            return
        try:
            self.rpc().supervisor.shutdown()
        except (OSError, xmlrpc.client.Fault):
            os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not alive(pid), timeout, "supervisord to stop")
        except DockyardError:
            os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(check, timeout: float, what: str, interval: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise DockyardError(f"timed out after {timeout:.0f} s waiting for {what}",
                        code="runtime.timeout")
