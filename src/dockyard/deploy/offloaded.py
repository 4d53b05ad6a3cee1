"""Entry points that run in a child process through ``dockyard.offload`` (see
``dockyard.entrypoints.OFFLOADED``): each opens the services of ``DOCKYARD_HOME`` itself, so
the API server never loads psycopg or the spec models. Nothing in Dockyard imports this module.
"""

from __future__ import annotations

from typing import Any

from dockyard.deploy import console
from dockyard.deploy.database_ops import backup, list_backups, restore, server
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.logs import Log


def api_backup(app_id: str, database: str) -> dict[str, Any]:
    services = Services.from_home()
    app = services.store.get_app(app_id)
    path = backup(services, app, database, Log())
    return next(b for b in list_backups(services, app) if b["name"] == path.name)


def api_restore(app_id: str, database: str, name: str | None) -> str:
    services = Services.from_home()
    return restore(services, services.store.get_app(app_id), database, name, Log()).name


def api_clusters(action: str, name: str = "", url: str = "") -> Any:
    from dockyard.databases import Connection, ExternalClusters

    services = Services.from_home()
    clusters = ExternalClusters.for_home(services.home, services.secret_box)
    if action == "add":
        Connection.from_url(url)  # validates the shape before anything is stored
        clusters.add(name, url)
        return {"name": name}
    if action == "remove":
        clusters.remove(name)
        return {"name": name}
    return clusters.list()


def api_final_backups(app_id: str, databases: list[str]) -> None:
    """Before an app is deleted: a final dump of each of its dev databases."""
    services = Services.from_home()
    app = services.store.get_app(app_id)
    log = Log(services.home.root / "logs" / "deletions.log")
    try:
        for name in databases:
            try:
                backup(services, app, name, log, label="final")
            except DockyardError as exc:  # never provisioned: nothing to keep
                log.error(f"no final backup of {name}: {exc.message}")
    finally:
        log.close()


def api_drop(app_id: str, databases: list[str]) -> None:
    """After an app's processes are stopped: drop its dev databases and roles."""
    pg = server(Services.from_home())
    for name in databases:
        pg.drop(app_id, name)


def api_prepare(app_id: str, component: str, command: list[str],
                deployment_id: str | None = None, instance: str | None = None
                ) -> dict[str, object]:
    """A console session in the live release, or in ``deployment_id``'s (it resolves the
    databases); ``instance`` must name one of the component's instances."""
    services = Services.from_home()
    return console.prepare(services, services.store.get_app(app_id), component, command,
                           deployment_id, instance)
