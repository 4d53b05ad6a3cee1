"""Bearer-token authentication for everything under ``/v2``.

Tokens are stored hashed. A read-only token may only read (GET/HEAD). Paths in ``PUBLIC``
authenticate themselves (signed log URLs, webhooks with HMAC signatures) or reveal nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from dockyard.api.errors import error_response

PUBLIC_PREFIXES = ("/healthz", "/v2/webhooks/", "/logs/")
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# POST endpoints that only read (validation): allowed for read-only tokens.
READ_ONLY_POSTS = (re.compile(r"/v2/apps/propose"),
                   re.compile(r"/v2/apps/[^/]+/rollback/validate"))


# GET endpoints that act: the exec URL opens a shell with the component's environment (its
# secrets included), so a read-only token may not have one.
WRITE_GETS = (re.compile(r"/v2/apps/[^/]+/(deployments/[^/]+/)?components/[^/]+/exec"),)


def is_read_only_post(path: str) -> bool:
    return any(pattern.fullmatch(path) for pattern in READ_ONLY_POSTS)


def is_write(method: str, path: str) -> bool:
    """Does this request need a token that may write?"""
    if any(pattern.fullmatch(path) for pattern in WRITE_GETS):
        return True
    return method not in READ_METHODS and not (method == "POST" and is_read_only_post(path))


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


class TokenAuth:
    """ASGI middleware: 401 without a valid token, 403 for writes with a read-only one."""

    def __init__(self, app: ASGIApp, check: Callable[[str], object | None]) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http" or not scope["path"].startswith("/v2") or \
                scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = await run_in_threadpool(self.refuse, request)  # SQLite may wait on a lock
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refuse(self, request: Request) -> Response | None:
        token = bearer(request)
        found = self.check(token) if token else None
        if found is None:
            return error_response(401, "Unable to authenticate you: a valid API token is "
                                       "required (Authorization: Bearer <token>).")
        path = request.url.path
        if is_write(request.method, path) and getattr(found, "read_only", False):
            return error_response(403, "This token is read-only: it cannot change anything"
                                       + (" or open a console." if "/exec" in path else "."))
        request.scope.setdefault("state", {})["token"] = found
        return None


Endpoint = Callable[[Request], Awaitable[Response]]
