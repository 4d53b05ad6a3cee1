"""``/v2/apps/{app_id}/deployments``: list, create, get, cancel; rollback; restart."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.deployment_view import deployment_view, spec_lookup
from dockyard.api.routes_apps import paging, platform, the_app
from dockyard.api.shapes import page
from dockyard.errors import DockyardError, NotFound
from dockyard.store import Deployment


def one(request: Request, dep: Deployment) -> Response:
    """``{"deployment": …}`` with its progress, components and spec from the start."""
    return JSONResponse({"deployment": deployment_view(platform(request).store, dep)})


def list_deployments(request: Request) -> Response:
    app = the_app(request)
    deps = platform(request).store.list_deployments(app.id)
    types = request.query_params.getlist("deployment_types")
    if types:
        deps = [d for d in deps if d.cause_type in types]
    page_no, per_page = paging(request)
    items, links, meta = page(str(request.url), deps, page_no, per_page)
    store = platform(request).store
    spec_of = spec_lookup(store, app.id)
    return JSONResponse({"deployments": [deployment_view(store, d, spec_of) for d in items],
                         "links": links, "meta": meta})


def create_deployment(request: Request) -> Response:
    app = the_app(request)
    body = read_json(request)
    dep = platform(request).deploy(app, cause="manual", cause_type="MANUAL",
                                   force_build=bool(body.get("force_build")))
    return one(request, dep)


def restart(request: Request) -> Response:
    """DigitalOcean's restart: a new deployment (cause ``restart``) of the live release, no
    rebuild and no new commit. pydo sends an empty body with a JSON Content-Type when no
    components are named. On this machine every component restarts, since a deployment
    swaps the whole release; on a cluster only the named ones (a rollout restart each).
    Named components are checked against the spec."""
    app = the_app(request)
    body = read_json(request)
    names = body.get("components") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DockyardError('"components" must be a list of component names',
                            code="bad_request")
    known = {c.get("name") for kind in ("services", "workers", "jobs", "static_sites")
             for c in app.spec.get(kind, [])}
    unknown = sorted(set(names) - known)
    if unknown:
        raise NotFound(f"app {app.name} has no component {', '.join(map(repr, unknown))}; "
                       f"it has: {', '.join(sorted(known)) or 'none'}")
    dep = platform(request).restart(app, names)
    return one(request, dep)


def get_deployment(request: Request) -> Response:
    app = the_app(request)
    store = platform(request).store
    dep = store.get_deployment(app.id, request.path_params["dep_id"])
    body = deployment_view(store, dep)
    body["log_tail"] = platform(request).log_tail(app, dep)
    return JSONResponse({"deployment": body})


def cancel_deployment(request: Request) -> Response:
    app = the_app(request)
    dep = platform(request).cancel(app, request.path_params["dep_id"])
    return one(request, dep)


def create_rollback(request: Request) -> Response:
    app = the_app(request)
    body = read_json(request)
    dep = platform(request).rollback(app, body.get("deployment_id") or None,
                                     bool(body.get("skip_pin")), bool(body.get("with_data")))
    return one(request, dep)


def validate_rollback(request: Request) -> Response:
    from dockyard.deploy import rollback

    app = the_app(request)
    body = read_json(request)
    return JSONResponse(rollback.validate(platform(request).services, app,
                                          body.get("deployment_id") or None))


def commit_rollback(request: Request) -> Response:
    from dockyard.deploy import rollback

    rollback.commit(platform(request).services, the_app(request))
    return Response(status_code=200)  # DigitalOcean answers 200 with an empty body


def revert_rollback(request: Request) -> Response:
    dep = platform(request).revert_rollback(the_app(request))
    return one(request, dep)


routes = [
    route("/v2/apps/{app_id}/rollback", create_rollback, ["POST"]),
    route("/v2/apps/{app_id}/rollback/validate", validate_rollback, ["POST"]),
    route("/v2/apps/{app_id}/rollback/commit", commit_rollback, ["POST"]),
    route("/v2/apps/{app_id}/rollback/revert", revert_rollback, ["POST"]),
    route("/v2/apps/{app_id}/restart", restart, ["POST"]),
    route("/v2/apps/{app_id}/deployments", list_deployments, ["GET"]),
    route("/v2/apps/{app_id}/deployments", create_deployment, ["POST"]),
    route("/v2/apps/{app_id}/deployments/{dep_id}", get_deployment, ["GET"]),
    route("/v2/apps/{app_id}/deployments/{dep_id}/cancel", cancel_deployment, ["POST"]),
]
