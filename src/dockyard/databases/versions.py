"""PostgreSQL versions, checked when a spec is validated on the server (propose, create,
update) rather than when it deploys.

- A dev database (Dockyard's own server) asking for an older major runs on the server's
  version, with a note; asking for a newer major than the server has is refused.
- A production database (``cluster_name``, an external cluster) must ask for the cluster's
  own major version. The cluster is asked (``SHOW server_version_num``, 5 s timeout); when it
  cannot be reached, a note says the version was not checked.
"""

from __future__ import annotations

from typing import Any

from dockyard.databases.engines import check_cluster_version, check_version
from dockyard.errors import DockyardError
from dockyard.paths import Home

Problem = tuple[tuple[str | int, ...], str]
CONNECT_TIMEOUT = 5


def server_major(home: Home) -> str | None:
    """The major version of the server Dockyard runs (or would start); None if not installed."""
    from dockyard.databases.server import PostgresServer

    try:
        return PostgresServer(home, 0).version()
    except (DockyardError, OSError):
        return None


def cluster_major(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return str(int(row[0]) // 10000) if row else ""


def check_databases(spec: Any, home: Home) -> tuple[list[Problem], list[str]]:
    """Refusals (field path, message) and notes for the spec's ``databases`` versions."""
    problems: list[Problem] = []
    notes: list[str] = []
    local: str | None = None
    for index, db in enumerate(spec.databases or []):
        if not db.version:
            continue
        loc = ("databases", index, "version")
        try:
            if db.cluster_name:
                notes += _check_cluster(db, home)
                continue
            local = local or server_major(home)
            if local is None:
                continue  # not installed yet: the first deployment says so
            note = check_version(db.name, db.version, local)
            if note:
                notes.append(note)
        except DockyardError as exc:
            problems.append((loc, f"{exc.message}. {exc.hint or ''}".strip()))
    return problems, notes


def _check_cluster(db: Any, home: Home) -> list[str]:
    from dockyard.databases.server import PostgresServer

    try:
        url = PostgresServer(home, 0).clusters().get(db.cluster_name)
    except DockyardError:
        return []  # an unknown cluster is reported, with the fix, when the app deploys
    try:
        found = cluster_major(url)
    except Exception as exc:  # noqa: BLE001 - any connection failure only skips the check
        return [f"databases '{db.name}': cluster '{db.cluster_name}' could not be reached to "
                f"check its version ({type(exc).__name__})"]
    check_cluster_version(db.name, db.version, db.cluster_name, found)
    return []
