"""Request bodies and where handlers run: capped bodies, checked JSON, work off the event loop.

One event loop serves every request, ``/healthz`` included. A handler that blocks it (a spec
check in a child process, a 600 s ``pg_dump``, a SQLite write waiting for a lock) freezes the
whole API, so every ``/v2`` handler is a plain function run in a worker thread by
``endpoint()``; only reading the body (bounded by ``BodyLimit``) happens on the loop.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockyard.api.errors import error_response
from dockyard.errors import DockyardError
from dockyard.untrusted import loads

MAX_BODY_BYTES = 512 * 1024
"""Any request body: a spec is at most 128 KiB, and the CLI sends it twice (object + YAML)."""
MAX_WEBHOOK_BODY_BYTES = 1024 * 1024
"""GitHub push events list up to 20 commits with their files."""
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BodyTooLarge(DockyardError):
    status = 413
    code = "request_too_large"


def body_limit(path: str) -> int:
    return MAX_WEBHOOK_BODY_BYTES if path.startswith("/v2/webhooks/") else MAX_BODY_BYTES


def too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"request body is larger than the limit of {limit // 1024} KiB "
                        f"({limit:,} bytes)")


class BodyLimit:
    """ASGI middleware: 413 for a body over the limit, read no further than the limit.

    A declared ``Content-Length`` over the limit is answered at once; a body that streams past
    it raises ``BodyTooLarge`` in the handler that reads it (the API's error handler answers).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            exc = too_large(limit) if declared.isdigit() else DockyardError(
                "Content-Length is not a number", code="bad_request")
            await error_response(exc.status, exc.message, code=exc.code)(scope, receive, send)
            return
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
            return message

        await self.app(scope, capped, send)


def read_json(request: Request) -> dict[str, Any]:
    """The body (read by ``endpoint``) as a JSON object; empty is ``{}`` (pydo sends those)."""
    raw: bytes = getattr(request.state, "body", b"")
    if not raw.strip():
        return {}
    data = loads(raw)
    if not isinstance(data, dict):
        raise DockyardError("request body must be a JSON object", code="bad_request")
    return data


Work = Callable[[Request], Response]


def endpoint(work: Work) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the (capped) body on the event loop, then runs ``work`` in a
    worker thread, where it may block."""
    @functools.wraps(work)
    async def run(request: Request) -> Response:
        if request.method in WRITE_METHODS:
            request.state.body = await request.body()
        return await run_in_threadpool(work, request)
    return run


def route(path: str, work: Work, methods: list[str]) -> Route:
    """A ``Route`` whose handler runs in a worker thread (``endpoint``)."""
    return Route(path, endpoint(work), methods=methods)
