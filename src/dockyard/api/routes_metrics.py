"""Metrics: DigitalOcean's daily bandwidth endpoints, and the time series the dashboard charts.

``GET /v2/apps/{id}/metrics/bandwidth_daily`` and ``POST /v2/apps/metrics/bandwidth_daily``
answer in DigitalOcean's shape (bytes sent to clients that UTC day, as a string).
``GET /v2/apps/{id}/metrics/series`` is Dockyard's own: per component, buckets of ``step``
seconds with requests, status classes, bytes, p95 and mean latency (services), CPU and memory
(averaged over the instances), each instance's figures, and the deployments' moments.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.routes_apps import platform, the_app
from dockyard.errors import DockyardError
from dockyard.store import App, Sample

MAX_POINTS = 1000
SUMS = ("requests", "r1xx", "r2xx", "r3xx", "r4xx", "r5xx", "bytes_in", "bytes_out")
MEANS = ("cpu_percent", "memory_bytes", "memory_percent", "latency_avg_ms")
MAXES = ("latency_p95_ms", "restarts")


def iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def day_of(value: str | None) -> datetime:
    """The UTC day ``value`` (ISO 8601, e.g. ``2026-11-01T00:00:00.000Z``) falls in."""
    if not value:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise DockyardError(f"date: expected an ISO 8601 date such as 2026-11-01T00:00:00Z, "
                            f"found {value!r}", code="bad_request") from exc
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def bandwidth(plat: Any, app: App, day: datetime) -> dict[str, str]:
    start = day.timestamp()
    samples = plat.store.samples(app.id, start, until=start + 86400, instance="")
    return {"app_id": app.id, "bandwidth_bytes": str(sum(s.bytes_out or 0 for s in samples))}


def bandwidth_daily(request: Request) -> Response:
    app = the_app(request)
    day = day_of(request.query_params.get("date"))
    usage = bandwidth(platform(request), app, day)
    return JSONResponse({"app_bandwidth_usage": [usage], "date": iso(day.timestamp())})


def bandwidth_daily_many(request: Request) -> Response:
    body = read_json(request)
    ids = body.get("app_ids")
    if not isinstance(ids, list) or not ids:
        raise DockyardError('body needs "app_ids": a list of app ids', code="bad_request")
    day = day_of(body.get("date"))
    plat = platform(request)
    apps = [plat.store.get_app(str(i)) for i in ids]
    usage = [bandwidth(plat, a, day) for a in apps]
    return JSONResponse({"app_bandwidth_usage": usage, "date": iso(day.timestamp())})


# -- the dashboard's series -------------------------------------------------------------------
def since_of(value: str | None, now: float) -> float:
    """``since``: Unix seconds, an ISO time, or a span back from now (``15m``, ``6h``, ``2d``)."""
    if not value:
        return now - 3600
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value[-1:] in units and value[:-1].isdigit():
        return now - int(value[:-1]) * units[value[-1]]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return day_of(None).timestamp() if value == "today" else datetime.fromisoformat(
            value.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise DockyardError(f"since: expected Unix seconds, an ISO time or a span such as "
                            f"15m, 6h, 2d; found {value!r}", code="bad_request") from exc


def bucket(samples: list[Sample], step: int) -> list[dict[str, Any]]:
    """Samples folded into ``step``-second buckets: sums of counts, means of levels, the
    highest p95 (percentiles do not add up) and restarts so far."""
    groups: dict[int, list[Sample]] = {}
    for s in samples:
        groups.setdefault(int(s.at // step) * step, []).append(s)
    points = []
    for start, group in sorted(groups.items()):
        point: dict[str, Any] = {"t": start, "at": iso(start),
                                 "seconds": sum(s.seconds for s in group)}
        for name in SUMS + MEANS + MAXES:
            values = [getattr(s, name) for s in group if getattr(s, name) is not None]
            if not values:
                continue
            if name in SUMS:
                point[name] = sum(values)
            elif name in MAXES:
                point[name] = max(values)
            else:
                point[name] = round(sum(values) / len(values), 2)
        if "requests" in point and point["seconds"]:
            point["requests_per_second"] = round(point["requests"] / point["seconds"], 3)
        points.append(point)
    return points


def instance_points(samples: list[Sample], step: int) -> list[dict[str, Any]]:
    """Per component, the instances' samples averaged per moment, then bucketed."""
    moments: dict[float, list[Sample]] = {}
    for s in samples:
        moments.setdefault(round(s.at, 1), []).append(s)
    merged = []
    for at, group in sorted(moments.items()):
        merged.append(Sample(group[0].app_id, group[0].deployment_id, group[0].component,
                             "", at, group[0].seconds, **{
                                 name: fold(name, [getattr(s, name) for s in group])
                                 for name in ("cpu_percent", "memory_bytes", "memory_percent",
                                              "restarts")}))
    return bucket(merged, step)


def fold(name: str, values: list[Any]) -> Any:
    values = [v for v in values if v is not None]
    if not values:
        return None
    if name in ("memory_bytes", "restarts"):
        return sum(values)        # the component's memory and restarts: all instances
    return sum(values) / len(values)


def series(plat: Any, app: App, since: float, until: float, step: int,
           component: str | None) -> dict[str, Any]:
    samples = plat.store.samples(app.id, since, until=until, component=component)
    by_component: dict[str, dict[str, list[Sample]]] = {}
    for s in samples:
        by_component.setdefault(s.component, {}).setdefault(s.instance, []).append(s)
    components = []
    for name, rows in sorted(by_component.items()):
        instances = {k: v for k, v in rows.items() if k}
        traffic = {p["t"]: p for p in bucket(rows.get("", []), step)}
        for p in instance_points([s for v in instances.values() for s in v], step):
            traffic.setdefault(p["t"], {"t": p["t"], "at": p["at"], "seconds": 0}).update(
                {k: v for k, v in p.items() if k not in ("t", "at", "seconds")})
        components.append({
            "name": name, "points": [traffic[t] for t in sorted(traffic)],
            "instances": [{"name": k, "points": bucket(v, step)}
                          for k, v in sorted(instances.items())]})
    return {"app_id": app.id, "since": iso(since), "until": iso(until), "step": step,
            "sample_seconds": plat.settings.metrics_seconds, "components": components,
            "deployments": deployment_moments(plat, app, since, until)}


def deployment_moments(plat: Any, app: App, since: float, until: float) -> list[dict[str, Any]]:
    """Deployments created or gone live in the range, with the moment each went live."""
    out = []
    for dep in plat.store.list_deployments(app.id):
        live = next((h["at"] for h in plat.store.phase_history(dep.id)
                     if h["phase"] == "ACTIVE"), None)
        moments = [m for m in (dep.created_at, live) if m]
        stamps = [datetime.fromisoformat(m.replace("Z", "+00:00")).timestamp() for m in moments]
        if not any(since <= t <= until for t in stamps):
            continue
        out.append({"id": dep.id, "phase": dep.phase, "cause": dep.cause,
                    "created_at": dep.created_at, "live_at": live,
                    "t": stamps[-1] if live else None})
    return out


def get_series(request: Request) -> Response:
    app = the_app(request)
    q = request.query_params
    now = time.time()
    since = since_of(q.get("since"), now)
    until = float(q["until"]) if q.get("until", "").replace(".", "", 1).isdigit() else now
    plat = platform(request)
    default = max(int(plat.settings.metrics_seconds), int((until - since) // 300) or 1)
    try:
        step = int(q.get("step") or default)
    except ValueError as exc:
        raise DockyardError("step: expected whole seconds", code="bad_request") from exc
    step = max(step, int((until - since) // MAX_POINTS) or 1, 1)
    body = series(plat, app, since, until, step, q.get("component"))
    return JSONResponse(body)


routes = [
    route("/v2/apps/metrics/bandwidth_daily", bandwidth_daily_many, ["POST"]),
    route("/v2/apps/{app_id}/metrics/bandwidth_daily", bandwidth_daily, ["GET"]),
    route("/v2/apps/{app_id}/metrics/series", get_series, ["GET"]),
]
