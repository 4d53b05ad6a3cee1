"""Alerts and alert destinations; GitHub's push webhook (authenticated by its signature)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.routes_apps import platform, the_app


def list_alerts(request: Request) -> Response:
    from dockyard.deploy.notify import list_alerts as alerts_of

    app = the_app(request)
    plat = platform(request)
    return JSONResponse({"alerts": alerts_of(plat.services, app),
                         "deliveries": plat.store.deliveries(app.id)})


def assign_destinations(request: Request) -> Response:
    from dockyard.deploy.notify import set_destinations

    app = the_app(request)
    body = read_json(request)
    alert = set_destinations(platform(request).services, app, request.path_params["alert_id"], body)
    return JSONResponse({"alert": alert})


def github_webhook(request: Request) -> Response:
    from dockyard.deploy.push import github_push

    headers = request.headers
    result = github_push(platform(request), request.state.body, headers.get("x-github-event"),
                         headers.get("x-hub-signature-256"), headers.get("x-github-delivery"))
    return JSONResponse(result)


routes = [
    route("/v2/apps/{app_id}/alerts", list_alerts, ["GET"]),
    route("/v2/apps/{app_id}/alerts/{alert_id}/destinations", assign_destinations, ["POST"]),
    route("/v2/webhooks/github", github_webhook, ["POST"]),
]
