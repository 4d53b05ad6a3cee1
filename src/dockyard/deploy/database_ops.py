"""Databases for deployments: provision each ``databases:`` component, back up before
``PRE_DEPLOY`` jobs, and find backups for ``rollback --with-data``.

The PostgreSQL server is started on first need: its program file goes into supervisord's
``programs/`` folder, so every later ``dockyard up`` starts it with the apps.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.databases.engines import check_version
from dockyard.deploy.context import DeployContext
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError, NotFound
from dockyard.locks import file_lock
from dockyard.logs import Log
from dockyard.store import App

if TYPE_CHECKING:
    from dockyard.databases import Connection, PostgresServer


def server(services: Services) -> PostgresServer:
    """The installation's PostgreSQL, initialized and running (started on first use).

    Deployments of two apps run in two worker processes: a file lock makes the first one
    initialize the cluster and the other wait for it.
    """
    from dockyard.databases import PostgresServer
    from dockyard.runtime.local.supervisor import Supervisor

    home = services.home
    with file_lock(home.run / "postgres-init.lock"):
        pg = PostgresServer(home, services.settings.postgres_port)
        sup = Supervisor(home)
        if "postgres" not in sup.program_names():
            log = Log(home.root / "logs" / "postgres-init.log")
            try:
                pg.ensure_initialized(log)
            finally:
                log.close()
            sup.add([pg.program()])
        pg.wait_ready(timeout=60)
        return pg


def connection_for(services: Services, app: App, comp: Any, index: int) -> Connection:
    """Provision (or find) the component's database; an external cluster when it names one."""
    from dockyard.databases import Connection, check_engine

    check_engine(comp.name, comp.engine, index=index)
    if comp.cluster_name:
        pg = server(services)
        try:
            url = pg.clusters().get(comp.cluster_name)
        except (KeyError, DockyardError) as exc:
            raise DockyardError(
                f"databases[{index}] '{comp.name}': cluster {comp.cluster_name!r} is not "
                "registered", code="database.cluster_unknown",
                hint=f"Register it: `dockyard databases clusters add {comp.cluster_name} "
                     "--url postgres://USER:PASSWORD@HOST:PORT/DATABASE`.") from exc
        conn = Connection.from_url(url)
        if comp.db_name:
            conn = Connection(conn.host, conn.port, conn.username, conn.password, comp.db_name,
                              conn.sslmode)
        return conn
    return server(services).provision(app.id, app.name, comp.name, db_name=comp.db_name,
                                      db_user=comp.db_user, version=comp.version)


def provision_all(ctx: DeployContext) -> dict[str, dict[str, str]]:
    """Bindable values per database component; passwords join the log masks."""
    out: dict[str, dict[str, str]] = {}
    for index, comp in enumerate(ctx.spec.databases or []):
        conn = connection_for(ctx.services, ctx.app, comp, index)
        ctx.mask([conn.password, conn.url])
        where = "external cluster " + comp.cluster_name if comp.cluster_name else "dev database"
        note = None if comp.cluster_name else check_version(comp.name, comp.version,
                                                            server(ctx.services).version())
        if note:  # an older major runs on the server's version, as DigitalOcean upgrades
            ctx.log.step(note)
        ctx.log.step(f"Database '{comp.name}': {where} {conn.database} on "
                     f"{conn.host}:{conn.port} (user {conn.username})")
        out[comp.name] = conn.bindables()
    return out


def backups_dir(services: Services, app: App, component: str) -> Path:
    return services.home.app(app.id) / "backups" / component


def backup(services: Services, app: App, component: str, log: Log, label: str = "manual") -> Path:
    """``pg_dump -Fc`` of a dev database into the app's backups folder."""
    pg = server(services)
    conn = pg.connection(app.id, component)
    if conn is None:
        raise NotFound(f"app {app.name} has no database {component!r} (yet)",
                       hint="A database exists after the first deployment that declares it.")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = backups_dir(services, app, component) / f"{stamp}-{label}.dump"
    dest.parent.mkdir(parents=True, exist_ok=True)
    return pg.backup(conn, dest, log)


def restore(services: Services, app: App, component: str, name: str | None, log: Log) -> Path:
    """Restore a backup (default: the newest) into the component's database."""
    found = list_backups(services, app, component)
    if not found:
        raise NotFound(f"no backups of database {component!r} of app {app.name}")
    chosen = next((b for b in found if b["name"] == name), None) if name else found[0]
    if chosen is None:
        raise NotFound(f"backup {name!r} not found",
                       hint="`dockyard databases backups APP` lists them.")
    pg = server(services)
    conn = pg.connection(app.id, component)
    assert conn is not None
    path: Path = backups_dir(services, app, component) / str(chosen["name"])
    pg.restore(conn, path, log)
    return path


def list_backups(services: Services, app: App, component: str | None = None
                 ) -> list[dict[str, Any]]:
    """Newest first, with size and time."""
    root = services.home.app(app.id) / "backups"
    if not root.is_dir():
        return []
    out = []
    for path in root.glob(f"{component or '*'}/*.dump"):
        stat = path.stat()
        out.append({"database": path.parent.name, "name": path.name, "size": stat.st_size,
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                time.gmtime(stat.st_mtime))})
    return sorted(out, key=lambda b: b["name"], reverse=True)


def backup_before_jobs(ctx: DeployContext) -> None:
    """A bad migration can be undone: every dev database is dumped before PRE_DEPLOY jobs."""
    for comp in ctx.spec.databases or []:
        if comp.cluster_name:
            continue
        path = backup(ctx.services, ctx.app, comp.name, ctx.log, label=f"before-{ctx.dep.id[:8]}")
        ctx.log.step(f"Backed up database '{comp.name}' before PRE_DEPLOY jobs: {path.name}")
