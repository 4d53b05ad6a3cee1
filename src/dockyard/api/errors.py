"""DigitalOcean's error body, the one error shape of the API (docs/conventions.md §10)."""

from __future__ import annotations

import uuid

from starlette.responses import JSONResponse

from dockyard.errors import DockyardError

IDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
       405: "method_not_allowed", 409: "conflict", 413: "request_too_large",
       422: "unprocessable_entity",
       500: "server_error", 503: "service_unavailable"}


def error_response(status: int, message: str, *, code: str | None = None,
                   extra: dict[str, object] | None = None) -> JSONResponse:
    body: dict[str, object] = {"id": IDS.get(status, "error"), "message": message,
                               "request_id": str(uuid.uuid4())}
    if code:
        body["code"] = code
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status)


def from_exception(exc: DockyardError) -> JSONResponse:
    extra: dict[str, object] = {}
    issues = getattr(exc, "issues", None)
    if issues:
        extra["errors"] = [{"path": i.path, "message": i.message, "line": i.line}
                           for i in issues]
    message = str(exc)
    return error_response(exc.status, message, code=exc.code, extra=extra)
