"""A warning users of the book's default settings need: SQLite inside the release is lost.

The book's ProfileApp starts with ``db.sqlite3`` next to ``manage.py``; on App Platform (and
here) every deployment starts from a fresh copy of the release, so that data does not survive.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.deploy.context import DeployContext
from dockyard.runtime import Instance

SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_files(app_dir: Path, depth: int = 3) -> list[Path]:
    """SQLite databases inside an instance's copy of the app (its ephemeral filesystem)."""
    found = []
    for path in app_dir.rglob("*"):
        if len(path.relative_to(app_dir).parts) > depth or not path.is_file():
            continue
        try:
            with path.open("rb") as fh:
                if fh.read(16) == SQLITE_MAGIC:
                    found.append(path)
        except OSError:
            continue
    return found


def warn_sqlite(ctx: DeployContext, instances: list[Instance]) -> None:
    """The book's default ``db.sqlite3`` lives in the release: say that it will be lost."""
    seen: set[tuple[str, str]] = set()
    for inst in instances:
        app_dir = ctx.services.runtime.files(inst)
        if app_dir is None:
            continue
        for path in sqlite_files(app_dir):
            rel = str(path.relative_to(app_dir))
            if (inst.component, rel) in seen:
                continue
            seen.add((inst.component, rel))
            ctx.log.error(
                f"WARNING: '{inst.component}' keeps SQLite data in its release directory "
                f"({rel}); every deployment starts from a fresh copy, so this data will not "
                "survive the next deployment, restart or rollback.")
            ctx.log.error("Declare a database instead:  databases: [{name: db, engine: PG}]  "
                          "and the env  DATABASE_URL: ${db.DATABASE_URL}")
