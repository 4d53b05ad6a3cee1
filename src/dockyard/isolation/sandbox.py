"""The sandbox every build, job, instance and console runs in (bubblewrap + setpriv).

bwrap starts as root (so it can bind what the app's user could not reach on its own, such as
an interpreter under ``/root/.pyenv``), builds a filesystem of its own — the system read-only,
a private ``/tmp``, ``/run`` and ``HOME``, ``/proc`` of a new pid namespace, and only the
app's own directories — and runs ``setpriv`` inside it, which becomes the app's user with no
capabilities and ``no_new_privs`` before it runs anything of the app. The network stays the
host's loopback, so an instance binds its port and reaches PostgreSQL as before.

What is *not* in the sandbox: ``/root``, ``/home``, ``/var``, ``DOCKYARD_HOME`` (state, keys,
sockets, other apps), ``/sys``, and every other app's files and processes.

The environment never appears on a command line: the caller passes a script (``export``
lines, then ``exec`` of the command) on an inherited file descriptor (a memfd: nothing on
disk), and the sandbox's first command reads and evaluates it as the app's user.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from dockyard.isolation.users import AppUser

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
SYSTEM_LINKS = (("usr/bin", "/bin"), ("usr/sbin", "/sbin"), ("usr/lib", "/lib"),
                ("usr/lib64", "/lib64"))
READ_ONLY_SYSTEM = ("/usr", "/etc")
MINIMAL_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Mount:
    source: str          # on the host
    target: str          # inside the sandbox
    writable: bool = False
    fd: int | None = None  # the source, opened by ``files.open_path``: bound as it is

    def describe(self) -> str:
        same = self.target if self.source == self.target else f"{self.target} ← {self.source}"
        return f"{same} ({'read-write' if self.writable else 'read-only'})"


@dataclass(frozen=True)
class Sandbox:
    user: AppUser
    mounts: tuple[Mount, ...] = ()
    cwd: str = "/workspace"
    home: str = "/home/app"
    extra: tuple[str, ...] = field(default=())   # more bwrap options (tests, tools)

    def argv(self, command: Sequence[str]) -> list[str]:
        """The command line that runs ``command`` in this sandbox as the app's user."""
        args = [BWRAP, "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--hostname", "dockyard"]
        for source in READ_ONLY_SYSTEM:
            args += ["--ro-bind", source, source]
        for target, link in SYSTEM_LINKS:
            args += ["--symlink", target, link]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/run"]
        for shared in ("/tmp", "/var/tmp", "/dev/shm"):  # writable by all, sticky, private
            args += ["--perms", "1777", "--tmpfs", shared]
        made: set[str] = {"/", "/usr", "/etc", "/proc", "/dev", "/dev/shm", "/tmp", "/run",
                          "/var", "/var/tmp"}
        for mount in self.mounts:
            args += parents(mount.target, made)
            if mount.fd is not None:
                args += ["--bind-fd" if mount.writable else "--ro-bind-fd", str(mount.fd),
                         mount.target]
            else:
                args += ["--bind" if mount.writable else "--ro-bind", mount.source,
                         mount.target]
        args += ["--chdir", self.cwd, *self.extra]
        drop = [SETPRIV, f"--reuid={self.user.uid}", f"--regid={self.user.gid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return [*args, *drop, *command]

    def describe(self) -> dict[str, object]:
        """What a user sees of a component's sandbox (``apps get``, docs)."""
        return {"user": self.user.name, "uid": self.user.uid, "cwd": self.cwd,
                "home": self.home, "network": "host loopback (binds its port, reaches "
                "PostgreSQL on 127.0.0.1)",
                "mounts": [m.describe() for m in self.mounts],
                "system": "/usr and /etc read-only; private /tmp, /run, /var/tmp; /proc of "
                          "its own pid namespace; no /root, /home, /var, /sys or Dockyard "
                          "state"}


def parents(target: str, made: set[str]) -> list[str]:
    """``--dir`` options (mode 0755) for the missing parents of ``target``: bwrap would make
    them 0700, which the app's user could not enter."""
    out: list[str] = []
    for parent in reversed(PurePosixPath(target).parents):
        text = str(parent)
        if text not in made:
            made.add(text)
            out += ["--perms", "0755", "--dir", text]
    made.add(target)
    return out


def script(env: Mapping[str, str], command: str, fd: int) -> str:
    """What the sandbox's first command evaluates: the environment, then the command.

    Read from ``fd`` by ``bash -c 'eval "$(cat <&FD)"'``: nothing of it reaches a command
    line, ``ps`` or ``/proc/<pid>/cmdline`` on the host.
    """
    bad = [key for key in env if not ENV_KEY.fullmatch(key)]
    if bad:
        raise ValueError(f"not an environment variable name: {bad[0]!r}")
    lines = ["unset " + " ".join(MINIMAL_ENV)]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
    lines += [f"exec {fd}<&-", f"exec bash -c {shlex.quote(command)}"]
    return "\n".join(lines) + "\n"


def confine(sandbox: Sandbox, env: Mapping[str, str], command: str
            ) -> tuple[list[str], dict[str, str], int]:
    """argv, environment and script fd to run ``command`` (a ``bash -c`` string) with
    ``env`` in ``sandbox``. The caller passes the fd to the child, then closes it."""
    fd = os.memfd_create("dockyard-sandbox", 0)
    try:
        os.write(fd, script(env, command, fd).encode())
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return sandbox.argv(["/bin/bash", "-c", f'eval "$(cat <&{fd})"']), dict(MINIMAL_ENV), fd
