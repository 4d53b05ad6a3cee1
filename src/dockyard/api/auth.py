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


def is_read_only_post(path: str) -> bool:
    return any(pattern.fullmatch(path) for pattern in READ_ONLY_POSTS)


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
        writes = request.method not in READ_METHODS and not (
            request.method == "POST" and is_read_only_post(request.url.path))
        if writes and getattr(found, "read_only", False):
            return error_response(403, "This token is read-only: it cannot change anything.")
        request.scope.setdefault("state", {})["token"] = found
        return None


Endpoint = Callable[[Request], Awaitable[Response]]
