"""The Starlette application: routes, token auth and DigitalOcean-shaped errors."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dockyard.api import (
    routes_admin,
    routes_alerts,
    routes_apps,
    routes_buildpacks,
    routes_databases,
    routes_deployments,
    routes_envs,
    routes_events,
    routes_exec,
    routes_jobs,
    routes_logs,
    routes_metrics,
)
from dockyard.api.auth import TokenAuth
from dockyard.api.bodies import BodyLimit
from dockyard.api.errors import error_response, from_exception
from dockyard.api.idempotency import Idempotent
from dockyard.errors import DockyardError


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": request.app.state.version})


async def on_dockyard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DockyardError)
    return from_exception(exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail or "error")


async def on_crash(request: Request, exc: Exception) -> Response:
    logging.getLogger("dockyard.api").error("%s %s failed", request.method, request.url.path,
                                            exc_info=exc)
    return error_response(500, f"internal error: {type(exc).__name__}")


def route_table() -> list[Route]:
    """Every route the server answers; the auth test walks this table."""
    from dockyard.api import dashboard

    return [Route("/healthz", healthz, methods=["GET"]), *dashboard.routes, *routes_admin.routes,
            *routes_buildpacks.literal_routes, *routes_apps.routes,
            *routes_deployments.routes, *routes_logs.routes, *routes_events.routes,
            *routes_buildpacks.routes, *routes_alerts.routes, *routes_databases.routes,
            *routes_jobs.routes, *routes_metrics.routes, *routes_exec.routes,
            *routes_envs.routes]


def create_app(platform) -> Starlette:  # type: ignore[no-untyped-def]
    """Build the ASGI app around a ``deploy.Platform`` (which owns the store)."""
    from dockyard import __version__

    app = Starlette(
        routes=route_table(),
        middleware=[Middleware(BodyLimit), Middleware(TokenAuth, check=platform.check_token),
                    Middleware(Idempotent)],
        exception_handlers={DockyardError: on_dockyard_error, HTTPException: on_http_error,
                            Exception: on_crash},
    )
    app.state.platform = platform
    app.state.version = __version__
    return app
