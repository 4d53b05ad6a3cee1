"""DigitalOcean's catalogue and per-app status endpoints.

Regions, instance sizes and the (deprecated) tiers list what a spec may name. Dockyard runs
every app on this machine, so the only enabled region is ``local`` (DO's slugs are listed as
disabled, yet a spec naming one is accepted and recorded) and every size costs ``"0.00"``.
Instances and health read the active deployment and supervisord (on a cluster: the app's
pods).

``routes_apps`` splices these routes in before ``/v2/apps/{app_id}``, so the literal paths
``/v2/apps/regions`` and ``/v2/apps/tiers/…`` win; this module therefore does not import
``routes_apps``.
"""

from __future__ import annotations

import socket
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import route
from dockyard.api.shapes import REGION
from dockyard.appspec.sizes import BY_SLUG, GIB, SIZES, InstanceSize, tier_path
from dockyard.deploy import pods
from dockyard.deploy.context import instances_of
from dockyard.deploy.metrics import latest_usage
from dockyard.errors import NotFound
from dockyard.release.record import ComponentRecord, records_of
from dockyard.runtime import Instance

# DigitalOcean's regions: (slug, label, flag, continent, data centers).
DO_REGIONS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("atl", "Atlanta", "usa", "North America", ("atl1",)),
    ("nyc", "New York", "usa", "North America", ("nyc1", "nyc3")),
    ("sfo", "San Francisco", "usa", "North America", ("sfo3",)),
    ("tor", "Toronto", "canada", "North America", ("tor1",)),
    ("ams", "Amsterdam", "netherlands", "Europe", ("ams3",)),
    ("fra", "Frankfurt", "germany", "Europe", ("fra1",)),
    ("lon", "London", "uk", "Europe", ("lon1",)),
    ("blr", "Bangalore", "india", "Asia", ("blr1",)),
    ("sgp", "Singapore", "singapore", "Asia", ("sgp1",)),
    ("syd", "Sydney", "australia", "Australia", ("syd1",)),
)
DO_REGION_REASON = ("Dockyard runs every app on this machine (region \"local\"); a spec that "
                    "names this region is accepted, and the region is recorded only")

SIZE_NOTE = ("free on Dockyard; its CPU and memory become the instance's cgroup limits where "
             "this machine allows limits (`dockyard status` says)")
PROBE_SECONDS = 0.5
COMPONENT_TYPES = {"service": "SERVICE", "worker": "WORKER", "job": "JOB"}


def region_list() -> list[dict[str, Any]]:
    """``local`` (the default) first, then DigitalOcean's regions, disabled."""
    regions = [dict(REGION)]
    for slug, label, flag, continent, centers in DO_REGIONS:
        regions.append({"slug": slug, "label": label, "flag": flag, "continent": continent,
                        "data_centers": list(centers), "default": False, "disabled": True,
                        "reason": DO_REGION_REASON})
    return regions


def size_json(size: InstanceSize) -> dict[str, Any]:
    """One InstanceSize; DigitalOcean sends its numbers as strings. ``scalable`` follows
    DigitalOcean's "manual scaling" column: every size but the single-instance ones."""
    downgrade, upgrade = tier_path(size)
    body: dict[str, Any] = {
        "name": size.name, "slug": size.slug, "cpu_type": size.cpu_type,
        "cpus": str(size.cpus), "memory_bytes": str(size.memory_bytes), "usd_per_month": "0.00",
        "usd_per_second": "0.000000000000", "tier_slug": size.tier,
        "scalable": not size.single_instance_only,
        "single_instance_only": size.single_instance_only,
        "deprecation_intent": size.deprecated,
        "bandwidth_allowance_gib": str(size.bandwidth_gib), "dockyard": {"note": SIZE_NOTE},
    }
    if upgrade:
        body["tier_upgrade_to"] = upgrade
    if downgrade:
        body["tier_downgrade_to"] = downgrade
    return body


def list_regions(request: Request) -> Response:
    return JSONResponse({"regions": region_list()})


def list_instance_sizes(request: Request) -> Response:
    return JSONResponse({"instance_sizes": [size_json(size) for size in SIZES],
                         "discount_percent": 0.0})


def get_instance_size(request: Request) -> Response:
    slug = request.path_params["slug"]
    if slug in BY_SLUG:
        return JSONResponse({"instance_size": size_json(BY_SLUG[slug])})
    raise NotFound(f"instance size {slug!r} not found; GET /v2/apps/tiers/instance_sizes "
                   f"lists the {len(SIZES)} sizes (e.g. apps-s-1vcpu-0.5gb, basic-xxs)")


TIERS = (("basic", "Basic", 40), ("professional", "Professional", 100))
"""DigitalOcean's (deprecated) app tiers: slug, name, egress GiB of their legacy sizes."""


def tier_json(slug: str, name: str, egress_gib: int) -> dict[str, Any]:
    """An AppTier. Dockyard meters neither egress nor build time; the numbers are
    DigitalOcean's legacy allowances, kept so doctl's ``tier`` verbs have something true to
    show about the slug."""
    return {"name": name, "slug": slug, "egress_bandwidth_bytes": str(egress_gib * GIB),
            "build_seconds": "0", "dockyard": {"note": "not metered on Dockyard"}}


def list_tiers(request: Request) -> Response:
    return JSONResponse({"tiers": [tier_json(*tier) for tier in TIERS]})


def get_tier(request: Request) -> Response:
    slug = request.path_params["slug"]
    for tier in TIERS:
        if tier[0] == slug:
            return JSONResponse({"tier": tier_json(*tier)})
    raise NotFound(f"tier {slug!r} not found; the tiers are basic and professional")


def active_deployment(request: Request) -> tuple[Any, Any, Any]:
    """The platform, the app in the path, and its live deployment (or None)."""
    plat = request.app.state.platform
    app = plat.store.get_app(request.path_params["app_id"])  # no routes_apps import: it imports us
    active = plat.store.list_deployments(app.id, phases=("ACTIVE",))
    return plat, app, active[0] if active else None


def instance_records(app: Any, dep: Any) -> list[tuple[ComponentRecord, Instance]]:
    """(component record, Instance) for every instance of the deployment."""
    if dep is None:
        return []
    return [(record, inst) for record in records_of(dep.components)
            for inst in instances_of(app.id, dep.id, record)]


def get_instances(request: Request) -> Response:
    plat, app, dep = active_deployment(request)
    if plat.services.rolls_releases:  # on a cluster: the pods
        rows = pods.instances(plat.services, app, dep)
        return JSONResponse({"instances": [
            {"component_name": inst.component,
             "component_type": COMPONENT_TYPES.get(kind, "UNSPECIFIED"),
             "instance_name": inst.program, "instance_alias": inst.alias}
            for kind, inst, _state in rows]})
    return JSONResponse({"instances": [
        {"component_name": comp.name,
         "component_type": COMPONENT_TYPES.get(comp.kind, "UNSPECIFIED"),
         "instance_name": inst.program, "instance_alias": inst.alias}
        for comp, inst in instance_records(app, dep)]})


def instance_state(plat: Any, inst: Any) -> str:
    """supervisord's state name for the instance; UNKNOWN when supervisord is unreachable."""
    try:
        return str(plat.services.runtime.state(inst))
    except OSError:
        return "UNKNOWN"


def accepts(port: int | None) -> bool:
    if not port:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PROBE_SECONDS):
            return True
    except OSError:
        return False


def is_ready(state: str, inst: Any) -> bool:
    """RUNNING in supervisord, or still STARTING (its first ``startsecs``) while its port
    already answers: the health gate lets a fast service go live before supervisord calls
    it RUNNING."""
    return state == "RUNNING" or (state == "STARTING" and accepts(inst.port))


def component_health(plat: Any, app: Any, dep: Any) -> list[dict[str, Any]]:
    """Per component: desired and ready replicas, from supervisord's state."""
    by_name: dict[str, dict[str, Any]] = {}
    for comp, inst in instance_records(app, dep):
        entry = by_name.setdefault(comp.name, {
            "name": comp.name, "replicas_desired": 0, "replicas_ready": 0,
            "dockyard": {"instances": []}})
        state = instance_state(plat, inst)
        entry["replicas_desired"] += 1
        entry["replicas_ready"] += int(is_ready(state, inst))
        entry["dockyard"]["instances"].append({"instance_alias": inst.alias, "state": state})
    usage = latest_usage(plat.services, app.id, dep.id) if dep is not None else {}
    for name, entry in by_name.items():
        ready = entry["replicas_ready"] == entry["replicas_desired"]
        entry["state"] = "HEALTHY" if ready else "UNHEALTHY"
        cpu, memory = usage.get(name, (None, None))
        if cpu is not None:
            entry["cpu_usage_percent"] = cpu
        if memory is not None:
            entry["memory_usage_percent"] = memory
    return list(by_name.values())


def get_health(request: Request) -> Response:
    plat, app, dep = active_deployment(request)
    if plat.services.rolls_releases:  # on a cluster: the pods
        components = pods.health(plat.services, app, dep)
    else:
        components = component_health(plat, app, dep)
    return JSONResponse({"app_health": {"components": components,
                                        "functions_components": []}})


routes = [
    route("/v2/apps/regions", list_regions, ["GET"]),
    route("/v2/apps/tiers/instance_sizes", list_instance_sizes, ["GET"]),
    route("/v2/apps/tiers/instance_sizes/{slug}", get_instance_size, ["GET"]),
    route("/v2/apps/tiers", list_tiers, ["GET"]),
    route("/v2/apps/tiers/{slug}", get_tier, ["GET"]),
    route("/v2/apps/{app_id}/instances", get_instances, ["GET"]),
    route("/v2/apps/{app_id}/health", get_health, ["GET"]),
]
