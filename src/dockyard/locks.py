"""File locks shared by threads and processes (flock): for work two deployments may race on
(fetching one git mirror, creating one shared virtualenv), and the per-app deploy lock that
a deploy worker holds while it runs."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dockyard.paths import Home


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def deploy_lock_path(home: Home, app_id: str) -> Path:
    return home.run / f"deploy-{app_id}.lock"


def deploy_lock_held(home: Home, app_id: str) -> bool:
    """Is a worker deploying this app right now (from this or an earlier API server)?"""
    return lock_held(deploy_lock_path(home, app_id))


def job_lock_path(home: Home, invocation_id: str) -> Path:
    return home.run / "jobs" / f"{invocation_id}.lock"


def job_lock_held(home: Home, invocation_id: str) -> bool:
    """Is a job worker running this invocation right now?"""
    return lock_held(job_lock_path(home, invocation_id))


@contextmanager
def try_lock(path: Path) -> Iterator[bool]:
    """Hold ``path``'s lock if nobody else does; yields whether we got it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def lock_held(path: Path) -> bool:
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False
