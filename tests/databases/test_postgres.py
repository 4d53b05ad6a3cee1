"""A real PostgreSQL (shared per session): provisioning, isolation, restarts, backups."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import psycopg
import pytest

from dockyard.databases import Connection, PostgresServer
from dockyard.errors import DockyardError
from dockyard.logs import Log

from .conftest import RunningPostgres

pytestmark = pytest.mark.slow


def new_app() -> str:
    return "app-" + uuid.uuid4().hex[:8]


def provision(pg: RunningPostgres, app: str, component: str = "db", **kw: str | None
              ) -> Connection:
    args = {"db_name": None, "db_user": None, "version": None, **kw}
    return pg.server.provision(app + "-id", app, component, **args)


def connect(conn: Connection) -> psycopg.Connection:
    return psycopg.connect(conn.url, autocommit=True, connect_timeout=5)


def test_provisioned_role_owns_its_database_and_rows_survive_a_restart(
        pg: RunningPostgres) -> None:
    app = new_app()
    conn = provision(pg, app)
    assert (conn.host, conn.port) == ("127.0.0.1", pg.server.port)
    assert conn.database == app.replace("-", "_") + "_db"
    assert conn.username == conn.database + "_user"
    with connect(conn) as c:
        c.execute("CREATE TABLE notes (body text)")
        c.execute("INSERT INTO notes VALUES ('kept'), ('also kept')")
    pg.restart()
    with connect(conn) as c:
        assert c.execute("SELECT count(*) FROM notes").fetchone() == (2,)


def test_role_has_no_power_beyond_its_database(pg: RunningPostgres) -> None:
    conn = provision(pg, new_app())
    with pg.server.admin() as admin:
        row = admin.execute(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
            "rolbypassrls FROM pg_roles WHERE rolname = %s", (conn.username,)).fetchone()
        owner = admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database "
                              "WHERE datname = %s", (conn.database,)).fetchone()
    assert row == (True, False, False, False, False, False)
    assert owner == (conn.username,)
    with pytest.raises(psycopg.OperationalError, match="rejects connection"):
        connect(Connection(conn.host, conn.port, conn.username, conn.password, "postgres"))


def test_provision_is_idempotent_and_keeps_the_password(pg: RunningPostgres) -> None:
    app = new_app()
    first = provision(pg, app, version="15")
    again = provision(pg, app)
    fresh = PostgresServer(pg.server.home, pg.server.port)  # a restarted control plane
    assert again == first
    assert fresh.provision(app + "-id", app, "db", db_name=None, db_user=None,
                           version=None) == first
    assert fresh.connection(app + "-id", "db") == first
    with connect(first) as c:
        assert c.execute("SELECT current_user").fetchone() == (first.username,)
    saved = pg.server.credentials.path(app + "-id", "db")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert first.password not in saved.read_text()


def test_apps_cannot_connect_to_each_others_databases(pg: RunningPostgres) -> None:
    one, two = provision(pg, new_app()), provision(pg, new_app())
    with connect(two) as c:
        c.execute("CREATE TABLE private (secret text)")
        c.execute("INSERT INTO private VALUES ('two only')")
    intruder = Connection(one.host, one.port, one.username, one.password, two.database)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        connect(intruder)


def test_db_name_and_db_user_are_honoured_and_cannot_be_taken_twice(
        pg: RunningPostgres) -> None:
    name = "shop_" + uuid.uuid4().hex[:6]
    conn = provision(pg, new_app(), db_name=name, db_user=name + "_owner")
    assert (conn.database, conn.username) == (name, name + "_owner")
    with pytest.raises(DockyardError) as err:
        provision(pg, new_app(), db_name=name, db_user="someone_else")
    assert err.value.code == "database.name_taken"
    with connect(conn):
        pass


def test_backup_then_drop_table_then_restore_brings_rows_back(
        pg: RunningPostgres, tmp_path: Path, log: Log) -> None:
    conn = provision(pg, new_app())
    with connect(conn) as c:
        c.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)")
        c.execute("INSERT INTO orders VALUES (1, 'boat'), (2, 'anchor')")
    dump = pg.server.backup(conn, tmp_path / "backups" / "db.dump", log)
    assert dump.stat().st_size > 0 and stat.S_IMODE(dump.stat().st_mode) == 0o600
    with connect(conn) as c:
        c.execute("DROP TABLE orders")
    pg.server.restore(conn, dump, log)
    with connect(conn) as c:
        assert c.execute("SELECT item FROM orders ORDER BY id").fetchall() == [
            ("boat",), ("anchor",)]
    assert conn.password not in (tmp_path / "test.log").read_text()


def test_drop_removes_database_role_and_credentials(pg: RunningPostgres) -> None:
    app = new_app()
    conn = provision(pg, app)
    pg.server.drop(app + "-id", "db")
    pg.server.drop(app + "-id", "db")  # twice is fine
    assert pg.server.connection(app + "-id", "db") is None
    with pg.server.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (conn.database,)).fetchone() is None
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                             (conn.username,)).fetchone() is None


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on ``port``, from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


def test_server_listens_only_on_127_0_0_1(pg: RunningPostgres) -> None:
    assert listening_addresses(pg.server.port) == {"0100007F"}  # 127.0.0.1, little-endian
    with pg.server.admin() as admin:
        assert admin.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_no_password_reaches_the_server_log(pg: RunningPostgres) -> None:
    conn = provision(pg, new_app())
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(conn.url.replace(conn.password, "wrong-" + conn.password[:4]),
                        connect_timeout=5)
    assert conn.password not in pg.server.log_path.read_text()
