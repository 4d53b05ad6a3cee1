"""Dockyard's own endpoints (not part of DigitalOcean's API): tokens and server status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dockyard.api.routes_apps import platform, read_json
from dockyard.errors import DockyardError


def require_admin(request: Request) -> None:
    token = request.scope.get("state", {}).get("token")
    if getattr(token, "name", None) != "admin":
        raise DockyardError("only the admin token can manage tokens", code="forbidden")


async def list_tokens(request: Request) -> Response:
    tokens = platform(request).store.list_tokens()
    return JSONResponse({"tokens": [{"name": t.name, "read_only": t.read_only,
                                     "created_at": t.created_at} for t in tokens]})


async def create_token(request: Request) -> Response:
    require_admin(request)
    body = await read_json(request)
    name = str(body.get("name") or "").strip()
    if not name:
        raise DockyardError('token needs a "name"', code="bad_request")
    value = platform(request).store.create_token(name, read_only=bool(body.get("read_only")))
    return JSONResponse({"token": {"name": name, "token": value,
                                   "read_only": bool(body.get("read_only"))}})


async def revoke_token(request: Request) -> Response:
    require_admin(request)
    name = request.path_params["name"]
    if name == "admin":
        raise DockyardError("the admin token cannot be revoked", code="bad_request")
    platform(request).store.revoke_token(name)
    return JSONResponse({"name": name})


async def server_status(request: Request) -> Response:
    return JSONResponse(platform(request).status())


routes = [
    Route("/v2/dockyard/tokens", list_tokens, methods=["GET"]),
    Route("/v2/dockyard/tokens", create_token, methods=["POST"]),
    Route("/v2/dockyard/tokens/{name}", revoke_token, methods=["DELETE"]),
    Route("/v2/dockyard/status", server_status, methods=["GET"]),
]
