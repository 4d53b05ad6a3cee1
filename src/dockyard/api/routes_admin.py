"""Dockyard's own endpoints (not part of DigitalOcean's API): tokens and server status."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.errors import error_response
from dockyard.api.routes_apps import platform
from dockyard.errors import DockyardError


def token_of(request: Request):  # type: ignore[no-untyped-def]
    """The token the request was authenticated with (set by ``auth.TokenAuth``)."""
    return request.scope.get("state", {}).get("token")


def refuse_unless_admin(request: Request) -> Response | None:
    if getattr(token_of(request), "name", None) != "admin":
        return error_response(403, "only the admin token can manage tokens; this request "
                                   f"used token {getattr(token_of(request), 'name', '?')!r}")
    return None


def whoami(request: Request) -> Response:
    token = token_of(request)
    return JSONResponse({"name": token.name, "read_only": bool(token.read_only)})


def list_tokens(request: Request) -> Response:
    tokens = platform(request).store.list_tokens()
    return JSONResponse({"tokens": [{"name": t.name, "read_only": t.read_only,
                                     "created_at": t.created_at} for t in tokens]})


def create_token(request: Request) -> Response:
    if refused := refuse_unless_admin(request):
        return refused
    body = read_json(request)
    name = str(body.get("name") or "").strip()
    if not name:
        raise DockyardError('token needs a "name"', code="bad_request")
    value = platform(request).store.create_token(name, read_only=bool(body.get("read_only")))
    return JSONResponse({"token": {"name": name, "token": value,
                                   "read_only": bool(body.get("read_only"))}})


def revoke_token(request: Request) -> Response:
    if refused := refuse_unless_admin(request):
        return refused
    name = request.path_params["name"]
    if name == "admin":
        raise DockyardError("the admin token cannot be revoked", code="bad_request")
    platform(request).store.revoke_token(name)
    return JSONResponse({"name": name})


def server_status(request: Request) -> Response:
    return JSONResponse(platform(request).status())


routes = [
    route("/v2/dockyard/tokens", list_tokens, ["GET"]),
    route("/v2/dockyard/tokens", create_token, ["POST"]),
    route("/v2/dockyard/tokens/{name}", revoke_token, ["DELETE"]),
    route("/v2/dockyard/status", server_status, ["GET"]),
    route("/v2/dockyard/whoami", whoami, ["GET"]),
]
