"""``/v2/apps/{app_id}/events``: DigitalOcean's app events (list, get, cancel, logs).

Every deployment is an event of type ``DEPLOYMENT`` carrying the deployment: a create, a
spec update, a push, a restart, a rollback and a buildpack upgrade each make one.
DigitalOcean also records ``AUTOSCALING`` events; Dockyard does not autoscale, so there are
none, and the filter ``event_types=AUTOSCALING`` lists nothing. An event's id is derived
from its deployment's id (a name-based UUID), so events need no table of their own and stay
stable across restarts.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import route
from dockyard.api.deployment_view import SpecOf, deployment_view, spec_lookup
from dockyard.api.routes_apps import paging, platform, the_app
from dockyard.api.routes_logs import log_kind, log_urls
from dockyard.api.shapes import page
from dockyard.errors import DockyardError, NotFound
from dockyard.store import App, Deployment, Store

EVENT_NAMESPACE = uuid.UUID("5a7c5f43-2f53-4f4e-9d53-8b1d7f6a0e21")
EVENT_TYPES = ("DEPLOYMENT", "AUTOSCALING")


def event_id(dep_id: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, dep_id))


def event_json(store: Store, dep: Deployment, spec_of: SpecOf | None = None) -> dict[str, Any]:
    """An AppEvent of type DEPLOYMENT."""
    return {"id": event_id(dep.id), "type": "DEPLOYMENT", "created_at": dep.created_at,
            "deployment_id": dep.id, "deployment": deployment_view(store, dep, spec_of)}


def requested_types(request: Request) -> set[str]:
    """``event_types`` (repeated, as pydo sends it, or comma-separated); empty means all."""
    wanted = {part.strip().upper() for value in request.query_params.getlist("event_types")
              for part in value.split(",") if part.strip()}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise DockyardError(f"event_types: unknown {', '.join(unknown)}; expected "
                            f"{' or '.join(EVENT_TYPES)}", code="bad_request")
    return wanted


def the_event(request: Request, app: App) -> Deployment:
    """The deployment behind the path's ``{event_id}``; 404 when the app has no such event."""
    wanted = request.path_params["event_id"]
    for dep in platform(request).store.list_deployments(app.id):
        if event_id(dep.id) == wanted:
            return dep
    raise NotFound(f"event {wanted!r} of app {app.name} not found",
                   hint="`dockyard apps list-events APP` lists the app's events.")


def list_events(request: Request) -> Response:
    app = the_app(request)
    store = platform(request).store
    wanted = requested_types(request)
    deps = store.list_deployments(app.id) if not wanted or "DEPLOYMENT" in wanted else []
    causes = request.query_params.getlist("deployment_types")
    if causes:
        deps = [d for d in deps if d.cause_type in causes]
    page_no, per_page = paging(request)
    items, links, meta = page(str(request.url), deps, page_no, per_page)
    spec_of = spec_lookup(store, app.id)
    return JSONResponse({"events": [event_json(store, d, spec_of) for d in items],
                         "links": links, "meta": meta})


def get_event(request: Request) -> Response:
    app = the_app(request)
    dep = the_event(request, app)
    return JSONResponse({"event": event_json(platform(request).store, dep)})


def cancel_event(request: Request) -> Response:
    """Cancel the event's deployment if it has not gone live; a finished one is returned
    unchanged (as cancel-deployment does)."""
    app = the_app(request)
    dep = platform(request).cancel(app, the_event(request, app).id)
    return JSONResponse({"event": event_json(platform(request).store, dep)})


def get_event_logs(request: Request) -> Response:
    """The logs of the event's deployment (``type`` UNSPECIFIED: its DEPLOY log)."""
    app = the_app(request)
    dep = the_event(request, app)
    kind = log_kind(request.query_params.get("type"), default="DEPLOY")
    return JSONResponse(log_urls(request, app.id, dep.id, "", kind))


routes = [
    route("/v2/apps/{app_id}/events", list_events, ["GET"]),
    route("/v2/apps/{app_id}/events/{event_id}", get_event, ["GET"]),
    route("/v2/apps/{app_id}/events/{event_id}/cancel", cancel_event, ["POST"]),
    route("/v2/apps/{app_id}/events/{event_id}/logs", get_event_logs, ["GET"]),
]
