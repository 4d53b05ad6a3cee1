"""Logs: DigitalOcean's ``…/logs`` endpoints hand out signed URLs that Dockyard serves.

``live_url`` streams new lines while the deployment (or, for RUN logs, the app) goes on;
``historic_urls`` give the whole file. Both work without the API token (pydo fetches them
that way), are signed, expire after an hour, and name one deployment's logs only. On a
cluster, RUN logs come from the pods (``deploy/pods.py``); build and deploy logs stay files.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from dockyard.api.bodies import route
from dockyard.api.errors import error_response
from dockyard.api.logtail import LogReader, newest
from dockyard.api.routes_apps import platform, public_base, the_app
from dockyard.api.signing import sign, signing_key, verify
from dockyard.deploy import pods
from dockyard.deploy.logfiles import normalize_type
from dockyard.errors import DockyardError, NotFound

LOG_TYPES = ("UNSPECIFIED", "BUILD", "DEPLOY", "RUN", "RUN_RESTARTED", "AUTOSCALE_EVENT")
FOLLOW_IDLE_SECONDS = 600
POLL_SECONDS = 0.25
POD_POLL_SECONDS = 1.0   # following a RUN log on a cluster asks the API server this often
DONE = {"ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"}


def pick_deployment(request: Request, app: Any) -> Any:
    """The deployment in the path, else the active one, else the newest (doctl's default)."""
    store = platform(request).store
    dep_id = request.path_params.get("dep_id")
    if dep_id:
        return store.get_deployment(app.id, dep_id)
    deps = store.list_deployments(app.id)
    active = [d for d in deps if d.phase == "ACTIVE"]
    if active or deps:
        return (active or deps)[0]
    raise NotFound(f"app {app.name} has no deployments yet")


def get_logs(request: Request) -> Response:
    plat = platform(request)
    app = the_app(request)
    dep = pick_deployment(request, app)
    component = (request.path_params.get("component")
                 or request.query_params.get("component_name", ""))  # godo's query form
    if component and component not in {c["name"] for c in dep.components} and \
            plat_spec_component(plat, app, dep, component) is None:
        raise NotFound(f"component {component!r} not found in deployment {dep.id}")
    return JSONResponse(log_urls(request, app.id, dep.id, component,
                                 log_kind(request.query_params.get("type"))))


def log_kind(value: str | None, default: str = "RUN") -> str:
    """DigitalOcean's log types: BUILD, DEPLOY and RUN (RUN_RESTARTED reads RUN, UNSPECIFIED
    the ``default``); AUTOSCALE_EVENT is accepted and always empty (Dockyard does not
    autoscale)."""
    kind = (value or "UNSPECIFIED").upper()
    if kind not in LOG_TYPES:
        raise DockyardError(f"log type must be one of {', '.join(LOG_TYPES)} (got {value!r})",
                            code="bad_request")
    return kind if kind == "AUTOSCALE_EVENT" else normalize_type(kind, default)


def log_urls(request: Request, app_id: str, dep_id: str, component: str,
             kind: str) -> dict[str, Any]:
    """DigitalOcean's ``{live_url, historic_urls}``: signed URLs of one deployment's logs."""
    follow = request.query_params.get("follow") == "true"
    tail = request.query_params.get("tail_lines")
    key = signing_key(platform(request).home)
    base = public_base(request)
    live = sign(key, base, app_id, dep_id, kind, component, follow=True,
                tail=int(tail) if tail and tail.lstrip("-").isdigit() else None)
    historic = sign(key, base, app_id, dep_id, kind, component)
    return {"live_url": live, "historic_urls": [] if follow else [historic]}


def plat_spec_component(plat: Any, app: Any, dep: Any, name: str) -> Any:
    spec = plat.store.spec_version(app.id, dep.spec_version)
    for kind in ("services", "workers", "jobs", "static_sites"):
        for comp in spec.get(kind, []):
            if comp.get("name") == name:
                return comp
    return None


async def serve_log(request: Request) -> Response:
    """The signed URL itself: the file, or with ``follow=true`` a stream of new lines. With
    several files each line starts with its instance (``web-1 ``), unless ``prefix=false``
    (doctl's ``--no-prefix``)."""
    plat = platform(request)
    q = request.query_params
    app_id, dep_id = request.path_params["app_id"], request.path_params["dep_id"]
    kind, component = q.get("type", ""), q.get("component", "")
    if not verify(signing_key(plat.home), app_id, dep_id, kind, component, q.get("expires", ""),
                  q.get("sig", "")):
        return error_response(403, "this log URL is not valid or has expired; ask the API "
                                   "for a new one")
    if kind == "AUTOSCALE_EVENT":  # Dockyard does not autoscale: nothing to show, ever
        return PlainTextResponse("")
    reader = reader_for(plat, app_id, dep_id, kind, component, q.get("prefix") != "false")
    tail = int(q["tail"]) if q.get("tail", "").lstrip("-").isdigit() else None
    if q.get("follow") != "true":
        lines = await run_in_threadpool(whole, reader, tail)
        return PlainTextResponse("\n".join(lines) + ("\n" if lines else ""))
    lines = follow_lines(plat, app_id, dep_id, reader, kind, component, tail)
    if q.get("format") == "sse":  # the dashboard's EventSource
        return StreamingResponse(as_events(lines), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})
    return StreamingResponse(lines, media_type="text/plain")


class PodLogReader:
    """A RUN log on a cluster, read from the pods (there are no run log files there): each
    ``poll`` gives the lines beyond those already seen, as ``LogReader`` does."""

    def __init__(self, plat: Any, app_id: str, dep_id: str, component: str,
                 prefix: bool) -> None:
        self.plat, self.app_id, self.dep_id = plat, app_id, dep_id
        self.component, self.prefix, self.seen = component or None, prefix, 0

    def poll(self) -> list[list[str]]:
        store = self.plat.store
        lines = pods.run_log(self.plat.services, store.get_app(self.app_id),
                             store.get_deployment(self.app_id, self.dep_id), self.component,
                             None, prefix=self.prefix)
        new, self.seen = lines[self.seen:], len(lines)
        return [new]

    def rest(self) -> list[str]:
        return []


def reader_for(plat: Any, app_id: str, dep_id: str, kind: str, component: str,
               prefix: bool) -> LogReader | PodLogReader:
    """Where the log's lines come from: its files, or on a cluster a RUN log from the pods."""
    if kind == "RUN" and plat.services.rolls_releases:
        return PodLogReader(plat, app_id, dep_id, component, prefix)
    return LogReader(plat.home.logs(app_id) / dep_id, kind, component, prefix=prefix)


def whole(reader: LogReader | PodLogReader, tail: int | None) -> list[str]:
    """Every line there is (or the newest ``tail``), unterminated last lines included."""
    per_file = reader.poll()
    return newest([*per_file, reader.rest()], tail)


async def as_events(lines):  # type: ignore[no-untyped-def]
    """Server-Sent Events: one ``data:`` message per line, then an ``end`` event (so the
    browser does not reconnect to a finished deployment's log)."""
    async for line in lines:
        yield f"data: {line.rstrip(chr(10))}\n\n"
    yield "event: end\ndata: end\n\n"


async def follow_lines(plat: Any, app_id: str, dep_id: str, reader: LogReader | PodLogReader,
                       kind: str, component: str, tail: int | None):  # type: ignore[no-untyped-def]
    """Yield what is there (or its newest ``tail`` lines), then each new line of every file
    once, until the work is over (RUN logs: until idle). File reads run in a thread."""
    for line in newest(await run_in_threadpool(reader.poll), tail):
        yield line + "\n"
    every = POD_POLL_SECONDS if isinstance(reader, PodLogReader) else POLL_SECONDS
    idle = 0.0
    while idle < FOLLOW_IDLE_SECONDS:
        await asyncio.sleep(every)
        new = [line for lines in await run_in_threadpool(reader.poll) for line in lines]
        for line in new:
            yield line + "\n"
        idle = 0.0 if new else idle + every
        if not new and await run_in_threadpool(finished, plat, app_id, dep_id, kind,
                                                component):
            for line in [*newest(await run_in_threadpool(reader.poll), None), *reader.rest()]:
                yield line + "\n"
            return


def finished(plat: Any, app_id: str, dep_id: str, kind: str, component: str) -> bool:
    """Will no more lines come? RUN logs go on while the app runs; a job invocation's end
    when it ends; the others when their deployment does."""
    if kind == "RUN":
        return False
    if kind == "JOB_INVOCATION":
        return bool(plat.store.get_invocation(app_id, component.partition("/")[2]).done)
    return plat.store.get_deployment(app_id, dep_id).phase in DONE


routes = [
    route("/v2/apps/{app_id}/deployments/{dep_id}/components/{component}/logs", get_logs,
          ["GET"]),
    route("/v2/apps/{app_id}/deployments/{dep_id}/logs", get_logs,
          ["GET"]),
    route("/v2/apps/{app_id}/components/{component}/logs", get_logs,
          ["GET"]),
    route("/v2/apps/{app_id}/logs", get_logs,
          ["GET"]),
    Route("/logs/{app_id}/{dep_id}", serve_log, methods=["GET"]),
]
