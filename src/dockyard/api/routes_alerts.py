"""Alerts and alert destinations; GitHub's push webhook (authenticated by its signature)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dockyard.api.routes_apps import platform, read_json, the_app


async def list_alerts(request: Request) -> Response:
    from dockyard.deploy.notify import list_alerts as alerts_of

    app = the_app(request)
    plat = platform(request)
    return JSONResponse({"alerts": alerts_of(plat.services, app),
                         "deliveries": plat.store.deliveries(app.id)})


async def assign_destinations(request: Request) -> Response:
    from dockyard.deploy.notify import set_destinations

    app = the_app(request)
    body = await read_json(request)
    alert = set_destinations(platform(request).services, app, request.path_params["alert_id"], body)
    return JSONResponse({"alert": alert})


async def github_webhook(request: Request) -> Response:
    from dockyard.deploy.push import github_push

    body = await request.body()
    result = github_push(platform(request), body, request.headers.get("x-github-event"),
                         request.headers.get("x-hub-signature-256"))
    return JSONResponse(result)


routes = [
    Route("/v2/apps/{app_id}/alerts", list_alerts, methods=["GET"]),
    Route("/v2/apps/{app_id}/alerts/{alert_id}/destinations", assign_destinations,
          methods=["POST"]),
    Route("/v2/webhooks/github", github_webhook, methods=["POST"]),
]
