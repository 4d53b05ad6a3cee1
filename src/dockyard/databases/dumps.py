"""Backups with ``pg_dump -Fc`` and restores with ``pg_restore`` (commands are data).

The password reaches the client tools only through ``PGPASSWORD`` in their environment, never
on a command line, and it is added to the log's mask list before anything runs.
"""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.databases.connection import Connection
from dockyard.logs import Log
from dockyard.proc import base_env, run


def client_env(conn: Connection) -> dict[str, str]:
    return {**base_env(), "PGPASSWORD": conn.password, "PGSSLMODE": conn.sslmode,
            "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "dockyard"}


def _target(conn: Connection) -> list[str]:
    return ["--no-password", "-h", conn.host, "-p", str(conn.port), "-U", conn.username]


def dump_argv(bindir: Path, conn: Connection, dest: Path) -> list[str]:
    return [str(bindir / "pg_dump"), "-Fc", *_target(conn), "-d", conn.database, "-f", str(dest)]


def restore_argv(bindir: Path, conn: Connection, src: Path) -> list[str]:
    """One transaction: the restore applies whole or not at all."""
    return [str(bindir / "pg_restore"), "--clean", "--if-exists", "--no-owner",
            "--single-transaction", *_target(conn), "-d", conn.database, str(src)]


def backup(bindir: Path, conn: Connection, dest: Path, log: Log) -> Path:
    """Dump to ``dest`` (written beside it, then renamed, so a failed dump leaves nothing)."""
    log.add_secrets([conn.password])
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    log.step(f"Backing up database {conn.database} to {dest}")
    try:
        run(dump_argv(bindir, conn, partial), log=log, env=client_env(conn),
            code="database.backup_failed", what="pg_dump")
        os.chmod(partial, 0o600)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def restore(bindir: Path, conn: Connection, src: Path, log: Log) -> None:
    log.add_secrets([conn.password])
    log.step(f"Restoring database {conn.database} from {src}")
    run(restore_argv(bindir, conn, src), log=log, env=client_env(conn),
        code="database.restore_failed", what="pg_restore")
