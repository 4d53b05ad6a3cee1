"""Small file helpers every stage may use (they import nothing of Dockyard)."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (mode 0600 from the start, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def chown_tree(root: Path, uid: int, gid: int) -> None:
    """Give ``root`` and everything below it (symlinks themselves, not their targets) to
    ``uid``:``gid``. A ``root`` that is a symlink is given away itself, never walked: an
    app's release turned into a link to ``/etc`` must not hand ``/etc`` to the app."""
    os.chown(root, uid, gid, follow_symlinks=False)
    if root.is_symlink():
        return
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


def real_dir(path: Path, base: Path) -> bool:
    """``path`` is a directory and nothing from below ``base`` down to it is a symbolic
    link: under ``base`` an app's user owns the folders (its release, its build cache) and
    could point one at ``/etc`` or ``/var/lib``, which root must not then chown, mount or
    delete."""
    chain = [path, *(p for p in path.parents if p != base and p.is_relative_to(base))]
    return path.is_dir() and not any(p.is_symlink() for p in chain)


def read_own(path: Path) -> str:
    """The text of a file Dockyard wrote where an app's user may write too (its release):
    never through a symlink (``release.json -> /etc/shadow`` raises OSError, ELOOP)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, encoding="utf-8") as fh:
        return fh.read()


OWNER_MARK = ".dockyard-owner"


def own_tree_once(root: Path, uid: int | None, gid: int = 0) -> bool:
    """Give ``root`` to ``uid`` once, not on every call; True when it walked the tree.

    For a tree that only its owner writes (an app's build cache, which grows to tens of
    thousands of files: a walk costs ~0.2 s per 15,000, on every warm build). A mark in
    ``root`` records the owner it was given to; ``uid`` None (something will write there as
    root) removes the mark, so the next call walks again. The mark is never followed if it
    is a symlink: the owner may replace it, which costs it only a walk.
    """
    mark = root / OWNER_MARK
    if uid is None:
        with contextlib.suppress(FileNotFoundError):
            mark.unlink()
        return False
    try:
        if read_own(mark) == f"{uid}:{gid}":
            return False
    except (OSError, ValueError):  # no mark, a link, or not text: walk
        pass
    with contextlib.suppress(FileNotFoundError):
        mark.unlink()
    chown_tree(root, uid, gid)
    try:
        fd = os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:  # made meanwhile (by the owner, or a call racing this one)
        return True
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{uid}:{gid}")
    return True


class UnsafePath(PermissionError):
    """A path an app's user could have pointed elsewhere with a symlink."""


def open_path(path: str | Path, max_links: int = 40) -> int:
    """An ``O_PATH`` descriptor of ``path``, following a symlink only where only root could
    have put it (a directory root owns and no one else may write, or a root-owned link in a
    sticky one such as ``/tmp``); raises ``UnsafePath`` for any other link on the way.

    An app's user owns its build cache and its release, and may leave links there (to
    ``/root``, to ``DOCKYARD_HOME``). Binding or overlaying the path itself would follow
    them as root; binding this descriptor (``bwrap --ro-bind-fd``, ``/proc/self/fd/N``)
    cannot, and nothing can swap the path between the check and the mount.
    """
    parts = list(Path(path).parts)
    if not parts or parts[0] != "/":
        raise ValueError(f"not an absolute path: {path}")
    fd = os.open("/", os.O_PATH | os.O_DIRECTORY)
    links, i = 0, 1
    try:
        while i < len(parts):
            name = parts[i]
            here = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(here.st_mode):
                if not trusted_link(os.fstat(fd), here):
                    raise UnsafePath(errno.EPERM, f"{path}: {name!r} is a symbolic link its "
                                     "owner could have pointed anywhere")
                links += 1
                if links > max_links:
                    raise OSError(errno.ELOOP, f"{path}: too many symbolic links")
                target = os.readlink(name, dir_fd=fd)
                rest = parts[i + 1:]
                if target.startswith("/"):
                    os.close(fd)
                    fd = os.open("/", os.O_PATH | os.O_DIRECTORY)
                    parts, i = [*Path(target).parts, *rest], 1
                else:  # relative to the directory holding the link, which fd still is
                    parts = [*parts[:i], *Path(target).parts, *rest]
                continue
            step = os.open(name, os.O_PATH | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd, i = step, i + 1
    except BaseException:
        os.close(fd)
        raise
    return fd


def trusted_link(holder: os.stat_result, link: os.stat_result) -> bool:
    """Only root could have made (or replaced) this link."""
    if holder.st_uid != 0:
        return False
    shared = holder.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return not shared or bool(holder.st_mode & stat.S_ISVTX) and link.st_uid == 0


def fd_path(fd: int) -> Path:
    """The path the kernel resolves to exactly the file ``fd`` is open on."""
    return Path(f"/proc/self/fd/{fd}")


@contextlib.contextmanager
def opened(path: str | Path, safe: bool = True) -> Iterator[Path]:
    """``path`` as ``open_path`` opens it (``/proc/self/fd/N``), closed afterwards; with
    ``safe`` False (nothing of an app's user on the way), ``path`` itself."""
    if not safe:
        yield Path(path)
        return
    fd = open_path(path)
    try:
        yield fd_path(fd)
    finally:
        os.close(fd)
