"""A warning users of the book's default settings need: SQLite inside the release is lost.

The book's ProfileApp starts with ``db.sqlite3`` next to ``manage.py``; on App Platform (and
here) every deployment starts from a fresh copy of the release, so that data does not survive.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dockyard.deploy.context import DeployContext
from dockyard.runtime import Instance

SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_files(app_dir: Path, depth: int = 3) -> list[Path]:
    """SQLite databases in the top ``depth`` levels of an app's files."""
    found = []
    for base, dirs, files in os.walk(app_dir):
        if len(Path(base).relative_to(app_dir).parts) >= depth:
            dirs.clear()
        for name in files:
            path = Path(base) / name
            try:  # regular files only: an image's root has FIFOs (a read would block)
                if not stat.S_ISREG(path.lstat().st_mode):
                    continue
                with path.open("rb") as fh:
                    if fh.read(16) == SQLITE_MAGIC:
                        found.append(path)
            except OSError:
                continue
    return found


def warn_sqlite(ctx: DeployContext, instances: list[Instance]) -> None:
    """The book's default ``db.sqlite3`` lives in the release (or an instance made it there
    with ``migrate``): say that it will be lost."""
    seen: set[tuple[str, str]] = set()
    for inst in instances:
        record = ctx.components[inst.component]
        for app_dir in (ctx.services.runtime.files(inst), record.app_dir):
            if app_dir is None or not app_dir.is_dir():
                continue
            for path in sqlite_files(app_dir):
                rel = str(path.relative_to(app_dir))
                if (inst.component, rel) not in seen:
                    seen.add((inst.component, rel))
                    warn(ctx, inst.component, rel)


def warn(ctx: DeployContext, component: str, rel: str) -> None:
    ctx.log.error(
        f"WARNING: '{component}' keeps SQLite data in its release directory "
        f"({rel}); every deployment starts from a fresh copy, so this data will not "
        "survive the next deployment, restart or rollback.")
    ctx.log.error("Declare a database instead:  databases: [{name: db, engine: PG}]  "
                  "and the env  DATABASE_URL: ${db.DATABASE_URL}")
