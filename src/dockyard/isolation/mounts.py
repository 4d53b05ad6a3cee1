"""A private mount namespace and an overlay mount: an instance's writable view of its release.

The launcher (root) calls ``private_namespace()`` and then ``overlay()``: the release is the
read-only lower layer, the instance's ``upper`` directory takes what it writes, and the mount
exists only in the launcher's namespace, so it disappears with the instance (no stale mounts
after ``kill -9`` or a reboot). An instance costs only what it writes, not a copy of the
release.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def private_namespace() -> None:
    """Give this process a mount namespace of its own, with nothing propagating out."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def overlay(lower: Path, upper: Path, work: Path, merged: Path, *, nodev: bool = False) -> None:
    """Mount ``lower`` (read-only) + ``upper`` (the writes) at ``merged``; ``nodev`` also
    ignores device nodes and setuid bits (a root filesystem that came from an image)."""
    for path in (upper, work, merged):
        path.mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={lower},upperdir={upper},workdir={work}".encode()
    flags = MS_NODEV | MS_NOSUID if nodev else 0
    _check(_libc.mount(b"overlay", str(merged).encode(), b"overlay", flags, options),
           f"mount overlay at {merged}")


def reachable(path: Path, parent: Path) -> Path:
    """``path`` bound at ``parent/root``, on a tmpfs of this mount namespace that every user
    may enter: a sandbox that starts unprivileged (``isolation.rootfs``) cannot reach the
    instance's own directory inside ``DOCKYARD_HOME`` (0700), and should not."""
    parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    _check(_libc.mount(b"tmpfs", str(parent).encode(), b"tmpfs", MS_NODEV | MS_NOSUID,
                       b"mode=0755,size=64k"), f"mount tmpfs at {parent}")
    target = parent / "root"
    target.mkdir(mode=0o755)
    _check(_libc.mount(str(path).encode(), str(target).encode(), None, MS_BIND | MS_REC, None),
           f"bind {path} at {target}")
    return target
