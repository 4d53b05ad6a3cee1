"""Dockyard's own endpoints for data and one-off commands (not part of DigitalOcean's API):
backups, restores, external clusters, consoles. ``pg_dump``/``pg_restore`` run on the server,
so the CLI never needs a database password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.routes_apps import platform, the_app
from dockyard.errors import NotFound
from dockyard.offload import call


def component(request: Request, app) -> str:  # type: ignore[no-untyped-def]
    name = request.path_params["db"]
    names = [d["name"] for d in app.spec.get("databases", [])]
    if name not in names:
        raise NotFound(f"app {app.name} has no database {name!r}; it has: "
                       f"{', '.join(names) or 'none'}")
    return name


def list_backups(request: Request) -> Response:
    from dockyard.deploy.database_ops import list_backups as backups_of

    app = the_app(request)
    return JSONResponse({"backups": backups_of(platform(request).services, app)})


def create_backup(request: Request) -> Response:
    app = the_app(request)
    found = call("databases.backup", app_id=app.id,
                 database=component(request, app))
    return JSONResponse({"backup": found})


def restore_backup(request: Request) -> Response:
    app = the_app(request)
    body = read_json(request)
    name = call("databases.restore", app_id=app.id,
                database=component(request, app), name=body.get("backup") or None)
    return JSONResponse({"restored": name})


def list_clusters(request: Request) -> Response:
    return JSONResponse({"clusters": call("databases.clusters",
                                          action="list")})


def add_cluster(request: Request) -> Response:
    body = read_json(request)
    name, url = str(body.get("name") or ""), str(body.get("url") or "")
    call("databases.clusters", action="add", name=name, url=url)
    return JSONResponse({"cluster": {"name": name}})


def remove_cluster(request: Request) -> Response:
    name = request.path_params["name"]
    call("databases.clusters", action="remove", name=name)
    return JSONResponse({"name": name})


routes = [
    route("/v2/dockyard/apps/{app_id}/backups", list_backups, ["GET"]),
    route("/v2/dockyard/apps/{app_id}/databases/{db}/backups", create_backup, ["POST"]),
    route("/v2/dockyard/apps/{app_id}/databases/{db}/restore", restore_backup, ["POST"]),
    route("/v2/dockyard/clusters", list_clusters, ["GET"]),
    route("/v2/dockyard/clusters", add_cluster, ["POST"]),
    route("/v2/dockyard/clusters/{name}", remove_cluster, ["DELETE"]),
]


def open_console(request: Request) -> Response:
    app = the_app(request)
    body = read_json(request)
    command = [str(c) for c in body.get("command") or []]
    session = call("console.prepare", app_id=app.id,
                   component=request.path_params["component"], command=command)
    return JSONResponse({"console": session})


def close_console(request: Request) -> Response:
    from dockyard.deploy import console

    app = the_app(request)
    console.remove(platform(request).services, app, request.path_params["component"],
                   request.path_params["session"])
    return JSONResponse({"id": request.path_params["session"]})


routes += [
    route("/v2/apps/{app_id}/components/{component}/console", open_console, ["POST"]),
    route("/v2/apps/{app_id}/components/{component}/console/{session}", close_console, ["DELETE"]),
]
