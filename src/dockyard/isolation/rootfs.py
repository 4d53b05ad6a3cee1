"""The sandbox of an instance whose release is a whole root filesystem (a Dockerfile build or
an ``image`` source): the image's files are the sandbox's ``/``.

The host-``/usr`` sandbox (``sandbox.py``) runs bwrap as root and drops to the app's user with
``setpriv`` inside; an image need not have ``setpriv`` or even a shell. So here the order is
turned round: the launcher (root) mounts the instance's copy-on-write view of the image,
joins the cgroup, and drops to the app's user (``drop_privileges``: no groups, no
capabilities, ``no_new_privs``) before it executes bwrap, which then runs unprivileged in a
user namespace of its own that maps only the app's uid and gid. Nested user namespaces are
refused (``--disable-userns``). The rest is as for every instance: a pid namespace, its own
``/proc``, a minimal ``/dev``, private ``/tmp``, ``/var/tmp``, ``/dev/shm`` and ``/run``, and
the host's network (loopback: it binds its port and reaches PostgreSQL on 127.0.0.1), with
the host's ``/etc/resolv.conf`` and ``/etc/hosts`` as Docker gives a container.

The environment reaches the program as the environment of ``execve`` (bwrap passes it on):
the process that receives it is already the app's, so nothing privileged ever reads it, and
it is on no command line.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.isolation.sandbox import BWRAP
from dockyard.isolation.users import AppUser

PR_SET_NO_NEW_PRIVS = 38
HOST_FILES = ("/etc/resolv.conf", "/etc/hosts")   # bound read-only over the image's, as Docker


@dataclass(frozen=True)
class RootfsSandbox:
    root: str                                 # the instance's view of the image (host path)
    user: AppUser | None                      # None: isolation is off (runs as Dockyard's user)
    cwd: str = "/"                            # the image's WORKDIR
    host_files: tuple[str, ...] = HOST_FILES

    def argv(self, command: Sequence[str]) -> list[str]:
        """bwrap's command line: ``command`` is exec'd inside, with no shell around it."""
        args = [BWRAP]
        if self.user is not None:
            args += ["--unshare-user", "--disable-userns", "--uid", str(self.user.uid),
                     "--gid", str(self.user.gid)]
        args += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                 "--die-with-parent", "--hostname", "dockyard", "--bind", self.root, "/",
                 "--proc", "/proc", "--dev", "/dev"]
        for shared in ("/tmp", "/var/tmp", "/dev/shm", "/run"):
            args += ["--perms", "1777" if shared != "/run" else "0755", "--tmpfs", shared]
        for path in self.host_files:
            if bindable(Path(self.root), path):
                args += ["--ro-bind", path, path]
        return [*args, "--chdir", self.cwd, "--", *command]


def bindable(root: Path, path: str) -> bool:
    """The host's file can go over the image's: it exists here, and in the image the place is
    a plain file or free, under a real directory (never a symlink bwrap would follow)."""
    if not os.path.isfile(path):
        return False
    target = root / path.lstrip("/")
    if target.parent.is_symlink() or not target.parent.is_dir():
        return False
    return not target.is_symlink() and (not target.exists() or target.is_file())


def drop_privileges(user: AppUser) -> None:
    """Become the app's user for good (in the child, before ``exec``): no supplementary
    groups, real/effective/saved ids the app's (which clears every capability), and
    ``no_new_privs`` so no setuid program can give them back."""
    os.setgroups([])
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
