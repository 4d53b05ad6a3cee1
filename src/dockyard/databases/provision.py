"""One database and one role per (app, component), created idempotently.

Each role can log in and owns its database, and nothing more: no superuser, createdb,
createrole, replication or RLS bypass. ``CONNECT`` is revoked from PUBLIC, so another app's
role is refused at connect time. Passwords are made once, kept encrypted with the installation's
``SecretBox`` in 0600 files, and sent to the server only as SCRAM verifiers computed here, so
the plaintext never appears in a SQL statement (nor in the server log if one fails).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from dockyard.errors import DockyardError
from dockyard.files import write_private
from dockyard.release.secrets import SecretBox

ROLE_ATTRS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


@dataclass(frozen=True)
class Record:
    """What we keep per (app, component): names and the (encrypted at rest) password."""

    app_id: str
    component: str
    database: str
    username: str
    password: str = field(repr=False)


def new_password() -> str:
    """32 URL-safe characters: no quoting needed in URLs, shells or config files."""
    return secrets.token_urlsafe(24)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class CredentialStore:
    """``home/postgres/credentials/<app>--<component>.json``, mode 0600, password encrypted."""

    def __init__(self, directory: Path, box: SecretBox) -> None:
        self.directory = directory
        self.box = box

    def path(self, app_id: str, component: str) -> Path:
        return self.directory / f"{_slug(app_id)}--{_slug(component)}.json"

    def load(self, app_id: str, component: str) -> Record | None:
        return self._read(self.path(app_id, component))

    def _read(self, path: Path) -> Record | None:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        raw["password"] = self.box.decrypt(raw["password"])
        return Record(**raw)

    def save(self, rec: Record) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        raw = {**asdict(rec), "password": self.box.encrypt(rec.password)}
        write_private(self.path(rec.app_id, rec.component),
                      (json.dumps(raw, indent=2) + "\n").encode())

    def delete(self, app_id: str, component: str) -> None:
        self.path(app_id, component).unlink(missing_ok=True)

    def others(self, app_id: str, component: str) -> list[Record]:
        """Every record but this one (to refuse names another component already uses)."""
        mine = self.path(app_id, component)
        paths = sorted(self.directory.glob("*.json")) if self.directory.exists() else []
        return [r for p in paths if p != mine and (r := self._read(p)) is not None]


def plan(store: CredentialStore, app_id: str, component: str, database: str,
         username: str) -> Record:
    """The record to provision: the kept one, or a new one with a password made now."""
    rec = store.load(app_id, component)
    if rec is not None and (rec.database, rec.username) == (database, username):
        return rec
    for other in store.others(app_id, component):
        if database == other.database or username == other.username:
            raise DockyardError(
                f"databases '{component}': database '{database}' / user '{username}' is "
                f"already used by component '{other.component}' of app {other.app_id}",
                code="database.name_taken",
                hint="Fix: set a different db_name and db_user for this component.")
    password = rec.password if rec is not None else new_password()
    return Record(app_id, component, database, username, password)


def ensure_role(conn: psycopg.Connection, username: str, password: str) -> None:
    """Create or reset the role: login, the kept password, no other power."""
    verifier = conn.pgconn.encrypt_password(password.encode(), username.encode(),
                                            b"scram-sha-256").decode()
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(sql.SQL(verb + " ROLE {} WITH " + ROLE_ATTRS + " PASSWORD {}").format(
        sql.Identifier(username), sql.Literal(verifier)))


def ensure_database(conn: psycopg.Connection, component: str, database: str,
                    owner: str) -> None:
    """Create the database owned by ``owner``; refuse one that belongs to someone else."""
    row = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                       (database,)).fetchone()
    if row is None:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'")
                     .format(sql.Identifier(database), sql.Identifier(owner)))
    elif row[0] != owner:
        raise DockyardError(
            f"databases '{component}': database '{database}' already exists and belongs to "
            f"'{row[0]}', not '{owner}'", code="database.name_taken",
            hint="Fix: set a different db_name for this component.")
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC")
                 .format(sql.Identifier(database)))


def drop_objects(conn: psycopg.Connection, rec: Record) -> None:
    """Drop the database (disconnecting its clients) and then its role."""
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                 .format(sql.Identifier(rec.database)))
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(rec.username)))
