"""Database units without a server: kept credentials, names, URLs, versions, dump commands
and a failed backup that leaves nothing behind."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest

from dockyard.databases.connection import Connection
from dockyard.databases.dumps import backup, client_env, dump_argv, restore_argv
from dockyard.databases.engines import check_version, major
from dockyard.databases.layout import find_bindir
from dockyard.databases.provision import CredentialStore, Record, plan
from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.release.secrets import SecretBox

PASSWORD = "kept-password-value"


@pytest.fixture
def creds(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "credentials", SecretBox(tmp_path / "secrets.key"))


def test_credentials_are_kept_encrypted_in_private_files(creds: CredentialStore):
    creds.save(Record("app-1", "db", "shop_db", "shop_db_user", PASSWORD))
    path = creds.path("app-1", "db")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    raw = json.loads(path.read_text())
    assert PASSWORD not in path.read_text() and raw["password"].startswith("EV[1:dky-")
    assert creds.load("app-1", "db") == Record("app-1", "db", "shop_db", "shop_db_user",
                                               PASSWORD)
    creds.delete("app-1", "db")
    assert creds.load("app-1", "db") is None


def test_a_plan_keeps_the_password_of_the_same_database(creds: CredentialStore):
    first = plan(creds, "app-1", "db", "shop_db", "shop_user")
    assert len(first.password) == 32
    creds.save(first)
    assert plan(creds, "app-1", "db", "shop_db", "shop_user") == first
    renamed = plan(creds, "app-1", "db", "shop_db2", "shop_user")
    assert renamed.password == first.password and renamed.database == "shop_db2"


def test_a_name_another_component_uses_is_refused(creds: CredentialStore):
    creds.save(Record("app-1", "db", "shared", "owner_1", PASSWORD))
    with pytest.raises(DockyardError) as err:
        plan(creds, "app-2", "db", "shared", "owner_2")
    assert err.value.code == "database.name_taken"
    assert err.value.message == ("databases 'db': database 'shared' / user 'owner_2' is "
                                 "already used by component 'db' of app app-1")
    assert creds.load("app-2", "db") is None


def test_component_and_app_ids_cannot_leave_the_credentials_folder(creds: CredentialStore):
    path = creds.path("../../etc", "pass/wd")
    assert path.parent == creds.directory and path.name == ".._.._etc--pass_wd.json"


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u:p@db.internal/shop", ("db.internal", 5432, "u", "p", "shop", "prefer")),
    ("postgresql://u@h:6000/x?sslmode=require", ("h", 6000, "u", "", "x", "require")),
    ("postgres://u:p%2Fw@h", ("h", 5432, "u", "p/w", "postgres", "prefer"))])
def test_external_urls_are_read_with_postgres_defaults(url: str, expected: tuple):  # type: ignore[type-arg]
    conn = Connection.from_url(url)
    assert (conn.host, conn.port, conn.username, conn.password, conn.database,
            conn.sslmode) == expected


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "postgres:///nohost", "not a url"])
def test_anything_but_a_postgres_url_is_refused(url: str):
    with pytest.raises(DockyardError) as err:
        Connection.from_url(url)
    assert err.value.code == "database.invalid_url"


def test_ssl_mode_other_than_disable_is_in_the_url():
    assert Connection("h", 5432, "u", "p", "d", "require").url.endswith("/d?sslmode=require")
    assert Connection("h", 5432, "u", "p", "d").masked_url == "postgresql://u:***@h:5432/d"


@pytest.mark.parametrize(("requested", "note"), [
    (None, None), ("", None), ("15", None), ("15.4", None), ("v15", None),
    ("14", "databases 'db': version 14 was requested; it runs on PostgreSQL 15, the server's "
           "version (DigitalOcean also upgrades retired versions)")])
def test_an_older_major_version_runs_on_the_servers_and_says_so(requested: str | None,
                                                                note: str | None):
    assert check_version("db", requested, "15.8") == note


@pytest.mark.parametrize("requested", ["16", "nope"])
def test_a_newer_or_unreadable_version_is_refused(requested: str):
    with pytest.raises(DockyardError) as err:
        check_version("db", requested, "15.8")
    assert err.value.code == "database.version_mismatch"
    assert f"version {requested} was requested" in err.value.message
    assert major("v16.1") == "16"


def test_passwords_reach_pg_dump_by_environment_never_by_argv(tmp_path: Path):
    conn = Connection("127.0.0.1", 5432, "shop_user", PASSWORD, "shop_db")
    for argv in (dump_argv(tmp_path, conn, tmp_path / "x.dump"),
                 restore_argv(tmp_path, conn, tmp_path / "x.dump")):
        assert PASSWORD not in " ".join(argv) and "--no-password" in argv
    assert "--single-transaction" in restore_argv(tmp_path, conn, tmp_path / "x.dump")
    env = client_env(conn)
    assert env["PGPASSWORD"] == PASSWORD and env["PGSSLMODE"] == "disable"


def test_a_failed_backup_leaves_no_file_and_never_logs_the_password(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens: pg_dump is refused at once
        conn = Connection("127.0.0.1", port, "shop_user", PASSWORD, "shop_db")
        log = Log(tmp_path / "backup.log")
        dest = tmp_path / "backups" / "db" / "x.dump"
        with pytest.raises(CommandFailed) as err:
            backup(find_bindir(), conn, dest, log)
        log.close()
    assert err.value.code == "database.backup_failed"
    assert list(dest.parent.iterdir()) == []
    assert PASSWORD not in (tmp_path / "backup.log").read_text()
