"""Scheduled job invocations in DigitalOcean's shapes (pydo's ``list_job_invocations``,
``get_job_invocation``, ``cancel_job_invocation``, ``get_job_invocation_logs``).

An invocation's logs are served like every other log: a signed, expiring URL
(``api.signing``) that names this one invocation's file.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import route
from dockyard.api.routes_apps import paging, platform, public_base, the_app
from dockyard.api.shapes import page
from dockyard.api.signing import sign, signing_key
from dockyard.errors import DockyardError, NotFound
from dockyard.store import JobInvocation

LOG_TYPE = "JOB_INVOCATION"


def invocation_json(inv: JobInvocation) -> dict[str, Any]:
    """A JobInvocation object; Dockyard's extras (exit status, the tick) under ``dockyard``."""
    body: dict[str, Any] = {"id": inv.id, "job_name": inv.job_name,
                            "deployment_id": inv.deployment_id, "phase": inv.phase,
                            "created_at": inv.created_at, "trigger": inv.trigger}
    if inv.started_at:
        body["started_at"] = inv.started_at
    if inv.completed_at:
        body["completed_at"] = inv.completed_at
    body["dockyard"] = {"exit_code": inv.exit_code, "error_message": inv.error_message,
                        "scheduled_for": inv.scheduled_for, "instance_alias":
                        f"{inv.job_name}-{inv.seq}"}
    return body


def one_invocation(request: Request) -> JobInvocation:
    """The invocation in the path; with ``?job_name=`` it must belong to that job."""
    app = the_app(request)
    inv = platform(request).store.get_invocation(app.id, request.path_params["inv_id"])
    job = request.query_params.get("job_name") or request.path_params.get("job_name")
    if job and job != inv.job_name:
        raise NotFound(f"job invocation {inv.id} is not one of job {job!r} "
                       f"(it is one of {inv.job_name!r})")
    return inv


def list_invocations(request: Request) -> Response:
    app = the_app(request)
    q = request.query_params
    names = tuple(n for value in q.getlist("job_names") for n in value.split(",") if n)
    items = platform(request).store.list_invocations(
        app.id, job_names=names, deployment_id=q.get("deployment_id") or None)
    page_no, per_page = paging(request)
    shown, links, meta = page(str(request.url), items, page_no, per_page)
    return JSONResponse({"job_invocations": [invocation_json(i) for i in shown],
                         "links": links, "meta": meta})


def get_invocation(request: Request) -> Response:
    return JSONResponse(invocation_json(one_invocation(request)))


def cancel_invocation(request: Request) -> Response:
    inv = one_invocation(request)
    plat = platform(request)
    app = the_app(request)
    ended = plat.cancel_invocation(app, inv.id)
    return JSONResponse(invocation_json(ended))


def invocation_logs(request: Request) -> Response:
    """``{"live_url", "historic_urls"}``: signed URLs of this invocation's log."""
    inv = one_invocation(request)
    kind = (request.query_params.get("type") or LOG_TYPE).upper()
    if kind not in (LOG_TYPE, "UNSPECIFIED"):
        raise DockyardError(f"type must be JOB_INVOCATION for a job invocation's logs "
                            f"(got {kind!r})", code="bad_request")
    dep = request.query_params.get("deployment_id")
    if dep and dep != inv.deployment_id:
        raise NotFound(f"job invocation {inv.id} ran in deployment {inv.deployment_id}, "
                       f"not {dep}")
    tail = request.query_params.get("tail_lines", "")
    key = signing_key(platform(request).home)
    base = public_base(request)
    component = f"{inv.job_name}/{inv.id}"
    live = sign(key, base, inv.app_id, inv.deployment_id, LOG_TYPE, component, follow=True,
                tail=int(tail) if tail.lstrip("-").isdigit() else None)
    historic = sign(key, base, inv.app_id, inv.deployment_id, LOG_TYPE, component)
    follow = request.query_params.get("follow") == "true"
    return JSONResponse({"live_url": live,
                         "historic_urls": [] if follow and not inv.done else [historic]})


routes = [
    route("/v2/apps/{app_id}/job-invocations", list_invocations, ["GET"]),
    route("/v2/apps/{app_id}/job-invocations/{inv_id}", get_invocation, ["GET"]),
    route("/v2/apps/{app_id}/job-invocations/{inv_id}/cancel", cancel_invocation, ["POST"]),
    route("/v2/apps/{app_id}/jobs/{job_name}/invocations/{inv_id}/logs", invocation_logs, ["GET"]),
]
