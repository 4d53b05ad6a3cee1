"""Our own PostgreSQL cluster: initdb once, a foreground postmaster for supervisord, and
one database plus one role per (app, component).

The server listens on 127.0.0.1 only (and a unix socket); every connection, local or TCP,
needs a SCRAM password, and the superuser ``dockyard`` may not be used by apps. Its password
is generated at initdb and kept encrypted (``SecretBox``) in ``home/postgres/superuser.secret``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from functools import cached_property
from pathlib import Path

import psycopg

from dockyard.databases import dumps
from dockyard.databases.clusters import ExternalClusters
from dockyard.databases.connection import Connection, check_name, default_name
from dockyard.databases.engines import check_version
from dockyard.databases.layout import Layout, RunAs, find_bindir
from dockyard.databases.provision import (
    CredentialStore,
    Record,
    drop_objects,
    ensure_database,
    ensure_role,
    new_password,
    plan,
)
from dockyard.errors import DockyardError
from dockyard.files import write_private
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import capture, run
from dockyard.release.secrets import SecretBox
from dockyard.runtime.local.supervisor import ProgramSpec

HOST = "127.0.0.1"
SUPERUSER = "dockyard"
PROGRAM = "postgres"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# First match wins: the superuser from anywhere local; nobody else into the system databases;
# everyone else with a password. No "trust", no "peer", no address but 127.0.0.1.
HBA = f"""\
# Written by Dockyard. TYPE DATABASE USER ADDRESS METHOD
local all {SUPERUSER} scram-sha-256
host  all {SUPERUSER} 127.0.0.1/32 scram-sha-256
local postgres,template0,template1 all reject
host  postgres,template0,template1 all 127.0.0.1/32 reject
local all all scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
"""


def _conf_value(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class PostgresServer:
    """The installation's PostgreSQL: one cluster, many apps' databases."""

    def __init__(self, home: Home, port: int, *, state_dir: Path | None = None,
                 run_as: RunAs | None = None) -> None:
        self.home = home
        self.port = port
        self.run_as = run_as or RunAs.detect()
        self.layout = Layout.for_home(home, self.run_as, state_dir)
        self.box = SecretBox(home.secrets_key)
        self.credentials = CredentialStore(self.layout.credentials, self.box)
        self.log_path = home.root / "logs" / "postgres.log"

    @cached_property
    def bindir(self) -> Path:
        return find_bindir(self.layout.data)

    def version(self) -> str:
        """The server's major version, e.g. ``"15"`` (from the binary: no server needed)."""
        out = capture([str(self.bindir / "postgres"), "--version"])
        match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
        if not match:
            raise DockyardError(f"cannot read the PostgreSQL version from {out.strip()!r}",
                                code="database.postgres_missing")
        return match.group(1)

    # -- the cluster -------------------------------------------------------------------------

    def ensure_initialized(self, log: Log) -> None:
        """Run initdb once; a crash midway leaves only ``data.initdb``, redone next time."""
        self._make_dirs()
        if (self.layout.data / "PG_VERSION").exists():
            log.step(f"PostgreSQL cluster in {self.layout.data} already initialized")
            return
        log.step(f"Initializing a PostgreSQL {self.version()} cluster in {self.layout.data}")
        staging = self.layout.state / "data.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        pwfile = self.layout.state / ".initdb-password"
        write_private(pwfile, self._superuser_password().encode() + b"\n")
        self.run_as.give(pwfile)
        try:
            run(self._initdb_argv(staging, pwfile), log=log, cwd=self.layout.state,
                env=self._env(), code="database.initdb_failed", what="initdb")
        finally:
            pwfile.unlink(missing_ok=True)
        self._write_config(staging)
        os.replace(staging, self.layout.data)
        if self.layout.state != self.layout.home_dir:
            (self.layout.home_dir / "data").unlink(missing_ok=True)
            (self.layout.home_dir / "data").symlink_to(self.layout.data)

    def _make_dirs(self) -> None:
        self.layout.home_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.layout.state.parent.mkdir(parents=True, exist_ok=True)
        for path in (self.layout.state, self.layout.sockets):
            path.mkdir(exist_ok=True, mode=0o700)
            self.run_as.give(path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)

    def _initdb_argv(self, target: Path, pwfile: Path) -> list[str]:
        return [*self.run_as.prefix(), str(self.bindir / "initdb"), "-D", str(target),
                "-U", SUPERUSER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
                "--encoding=UTF8", "--locale=C.UTF-8"]

    def _write_config(self, datadir: Path) -> None:
        """Our settings at the end of postgresql.conf (last wins) and our own pg_hba.conf."""
        settings = {"listen_addresses": HOST, "port": str(self.port),
                    "unix_socket_directories": self.layout.socket_dir_for(self.port),
                    "password_encryption": "scram-sha-256", "logging_collector": "off",
                    "log_line_prefix": "%m [%p] %q%u@%d "}
        lines = "".join(f"{k} = {_conf_value(v)}\n" for k, v in settings.items())
        with open(datadir / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# Dockyard\n" + lines)
        (datadir / "pg_hba.conf").write_text(HBA)
        for name in ("postgresql.conf", "pg_hba.conf"):
            self.run_as.give(datadir / name)

    def _env(self) -> dict[str, str]:
        return {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}

    def _superuser_password(self) -> str:
        """Made once; kept encrypted in a 0600 file that only we (not postgres) can read."""
        path = self.layout.superuser_secret
        if not path.exists():
            write_private(path, self.box.encrypt(new_password()).encode())
        return self.box.decrypt(path.read_text().strip())

    def program(self) -> ProgramSpec:
        """The postmaster in the foreground; SIGINT is PostgreSQL's "fast" shutdown."""
        argv = [*self.run_as.prefix(), str(self.bindir / "postgres"), "-D", str(self.layout.data),
                "-p", str(self.port), "-c", f"listen_addresses={HOST}",
                "-c", f"unix_socket_directories={self.layout.socket_dir_for(self.port)}"]
        return ProgramSpec(PROGRAM, argv, cwd=str(self.layout.state), env=self._env(),
                           log=str(self.log_path), startsecs=2, stopwaitsecs=60,
                           stopsignal="INT")

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        """A superuser connection (autocommit), for provisioning and checks."""
        return psycopg.connect(host=HOST, port=self.port, user=SUPERUSER, dbname=dbname,
                               password=self._superuser_password(), autocommit=True,
                               connect_timeout=5, sslmode="disable")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.admin():
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() >= deadline:
                    raise DockyardError(
                        f"PostgreSQL did not accept connections on {HOST}:{self.port} within "
                        f"{timeout:g} s", code="database.not_ready",
                        hint=f"Last error: {str(exc).strip()}\nServer log: {self.log_path}"
                    ) from exc
            time.sleep(0.2)

    # -- app databases ------------------------------------------------------------------------

    def provision(self, app_id: str, app_name: str, component: str, *, db_name: str | None,
                  db_user: str | None, version: str | None) -> Connection:
        """Create (or find) the component's database and role; the same credentials each time."""
        check_version(component, version, self.version())
        database = (check_name(component, "db_name", db_name) if db_name
                    else default_name(app_name, component))
        username = (check_name(component, "db_user", db_user) if db_user
                    else default_name(app_name, component, suffix="_user"))
        rec = plan(self.credentials, app_id, component, database, username)
        with self.admin() as conn:
            ensure_role(conn, rec.username, rec.password)
            ensure_database(conn, component, rec.database, rec.username)
        self.credentials.save(rec)
        return self._connection(rec)

    def connection(self, app_id: str, component: str) -> Connection | None:
        """The kept credentials of a provisioned component (None if never provisioned)."""
        rec = self.credentials.load(app_id, component)
        return self._connection(rec) if rec else None

    def _connection(self, rec: Record) -> Connection:
        return Connection(HOST, self.port, rec.username, rec.password, rec.database)

    def drop(self, app_id: str, component: str) -> None:
        """Remove the component's database, role and credentials (after the app is deleted)."""
        rec = self.credentials.load(app_id, component)
        if rec is None:
            return
        with self.admin() as conn:
            drop_objects(conn, rec)
        self.credentials.delete(app_id, component)

    def backup(self, conn: Connection, dest: Path, log: Log) -> Path:
        return dumps.backup(self.bindir, conn, Path(dest), log)

    def restore(self, conn: Connection, src: Path, log: Log) -> None:
        dumps.restore(self.bindir, conn, Path(src), log)

    def clusters(self) -> ExternalClusters:
        return ExternalClusters.for_home(self.home, self.box)
