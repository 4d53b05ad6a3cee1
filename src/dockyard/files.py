"""Small file helpers every stage may use (they import nothing of Dockyard)."""

from __future__ import annotations

import contextlib
import os
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
    ``uid``:``gid``."""
    os.chown(root, uid, gid, follow_symlinks=False)
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


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
        fd = os.open(mark, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd) as fh:
            if fh.read(32) == f"{uid}:{gid}":
                return False
    except OSError:
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
