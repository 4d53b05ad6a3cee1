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


def overlay(lower: Path, upper: Path, work: Path, merged: Path) -> None:
    """Mount ``lower`` (read-only) + ``upper`` (the writes) at ``merged``."""
    for path in (upper, work, merged):
        path.mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={lower},upperdir={upper},workdir={work}".encode()
    _check(_libc.mount(b"overlay", str(merged).encode(), b"overlay", 0, options),
           f"mount overlay at {merged}")
