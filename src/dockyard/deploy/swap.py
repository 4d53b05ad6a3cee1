"""Start the new release beside the old, gate it on health, swap the router, drain the old.

docs/conventions.md §5, in the order a deployment runs them:

1. ``start_new``  — one instance per ``instance_count`` of each service and worker, on fresh
   ports, through the runtime; nothing routes to them yet.
2. ``gate``       — every new service instance passes its ``health_check`` (workers stay up);
   on failure the pipeline stops the new instances and the old release keeps serving.
3. ``switch``     — the app's routing table, then static sites (an atomic symlink each), then
   every service of the app at once (one HAProxy runtime-API command, no reload); the
   deployment goes ACTIVE and the previous one SUPERSEDED in the same step.
4. ``retire``     — the previous release's instances drain (at least
   ``MIN_DRAIN_SECONDS``, until their router sessions end or ``drain_seconds``), then stop.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dockyard.deploy.context import DeployContext, deployment_instances, instances_of
from dockyard.deploy.health import Check, wait_healthy
from dockyard.deploy.launches import launch_for
from dockyard.deploy.phases import Phase
from dockyard.deploy.progress import note
from dockyard.deploy.routing import app_routing
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.release.bindings import Bindings
from dockyard.release.record import ComponentRecord, InstanceRecord
from dockyard.router import AppRouting
from dockyard.runtime import FAILED_STATES, Instance, Launch, Runtime, State
from dockyard.settings import free_port
from dockyard.store import App, Deployment

MIN_DRAIN_SECONDS = 1.0        # measured: stopping at once after a switch lost requests
DEFAULT_DRAIN_SECONDS = 15.0
WORKER_START_TIMEOUT = 30.0
CRASH_LOOP_RESTARTS = 3        # restarts before the gate gives up on a new instance
SITE_TIMEOUT = 15.0            # until the router answers for a newly published static site


# -- 1. start the new release ------------------------------------------------------------------
def start_new(ctx: DeployContext, binds: Bindings, used_ports: set[int],
              started: list[Instance]) -> None:
    """One runtime instance per instance of each service and worker, on fresh ports.

    Each goes into ``started`` (and the stored records) before the runtime is asked to
    run it, so a failure part-way still stops every one of them.
    """
    isolation = ctx.services.isolation
    if not isolation.sandbox:
        ctx.log.step(f"Isolation is off: {isolation.sandbox_reason}")
    if not isolation.limits:
        ctx.log.step(f"Limits are off: {isolation.limits_reason}")
    launches: list[tuple[Instance, Launch]] = []
    for kind, comp in ctx.built():
        if kind not in ("service", "worker"):
            continue
        record = ctx.components[comp.name]
        if record.instances:  # a restart of other components: these keep running
            keep_running(ctx, record)
            continue
        count = comp.instance_count or 1
        for index in range(count):
            port = free_port(avoid=used_ports) if kind == "service" else None
            if port:
                used_ports.add(port)
            inst = Instance(ctx.app.id, ctx.dep.id, comp.name, index, port)
            launches.append((inst, launch_for(ctx, comp, binds, port=port, kind=kind)))
            record.instances.append(InstanceRecord(index, port, inst.program))
        launch = launches[-1][1]
        command = (launch.command.strip().splitlines() or [shlex.join(
            launch.rootfs.argv if launch.rootfs else [])])[-1]
        ctx.log.step(f"Starting {count} instance(s) of {kind} '{comp.name}': {command}")
    started += [inst for inst, _launch in launches]
    ctx.save_components()
    ctx.services.runtime.start(launches)


def keep_running(ctx: DeployContext, record: ComponentRecord) -> None:
    """Hand a component's running instances over to this deployment: its run logs are
    linked into this deployment's log folder, so ``logs`` of this deployment shows them."""
    folder = ctx.services.home.logs(ctx.app.id) / ctx.dep.id
    folder.mkdir(parents=True, exist_ok=True)
    for inst in instances_of(ctx.app.id, ctx.dep.id, record):
        link = folder / f"run-{inst.alias}.log"
        if not link.is_symlink():  # a retried deployment linked it already
            link.symlink_to(Path("..") / inst.deployment_id / link.name)
    ctx.log.step(f"Keeping {len(record.instances)} running instance(s) of "
                 f"{record.kind} '{record.name}' (not restarted)")


# -- 2. the health gate --------------------------------------------------------------------
def gate(ctx: DeployContext, instances: list[Instance]) -> None:
    """Every new instance must pass its readiness check (services) or stay up (workers)."""
    runtime = ctx.services.runtime
    host = ctx.live_host
    for inst in instances:
        gone = exit_reason(runtime, inst)
        if inst.port is None:
            wait_running(runtime, inst, gone)
            ctx.log.step(f"Worker {inst.alias} is running")
            continue
        comp = ctx.spec.component(inst.component)
        hc = comp.health_check.model_dump(exclude_none=True) if comp.health_check else None
        check = Check.from_spec(hc, inst.port, host)
        took = wait_healthy(check, gone, on_attempt=attempt_reporter(ctx, inst, check))
        ctx.log.step(f"{inst.alias} is healthy ({check.describe()}, {took:.1f}s)")


def attempt_reporter(ctx: DeployContext, inst: Instance, check: Check
                     ) -> Callable[[int, int, str], None]:
    """A failed attempt goes to the deploy log and to the component's progress step, where
    ``--wait`` and the dashboard show it while the gate waits."""

    def report(n: int, of: int, why: str) -> None:
        text = f"{inst.alias}: health check attempt {n} of {of} failed ({check.describe()}): {why}"
        ctx.log.error(text)
        ctx.save(progress=note(ctx.dep.progress, ("deploy", "components", inst.component,
                                                  "wait"), text))

    return report


def exit_reason(runtime: Runtime, inst: Instance) -> Callable[[], str | None]:
    """Why the instance is gone (exited, crash-looping) with its last log lines, or None."""

    def gone() -> str | None:
        state = runtime.state(inst)
        lines = "\n".join(runtime.log_lines(inst, 15))
        if state in FAILED_STATES:
            return f"{state}; last run log lines:\n{lines}"
        count = runtime.restarts(inst)
        if count >= CRASH_LOOP_RESTARTS:
            return f"crash-looping: restarted {count} times; last run log lines:\n{lines}"
        return None

    return gone


def wait_running(runtime: Runtime, inst: Instance, gone: Callable[[], str | None]) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        why = gone()
        if why:
            raise DockyardError(f"worker {inst.alias} stopped: {why}",
                                code="deploy.instance_exited")
        if runtime.state(inst) == State.RUNNING:
            return
        time.sleep(0.1)
    raise DockyardError(f"worker {inst.alias} did not start in {WORKER_START_TIMEOUT:.0f} s",
                        code="deploy.instance_timeout")


# -- 3. the switch -------------------------------------------------------------------------
def switch(ctx: DeployContext) -> list[Instance]:
    """Point every route of the app at the new release; return what served before."""
    services = ctx.services
    old = active_instances(services, ctx.app.id)
    router = services.router
    router.apply(routing_table(services, ctx.app, ctx.spec))
    records = list(ctx.components.values())
    for record in records:
        if record.kind == "static_site" and record.site_dir is not None:
            router.publish_site(ctx.app.id, record.name, record.site_dir)
            wait_site(ctx, record.name)
    targets = {r.name: [i.port for i in r.instances if i.port] for r in records
               if r.kind == "service"}
    if targets:
        router.switch(ctx.app.id, targets)
    return old


def wait_site(ctx: DeployContext, component: str, timeout: float = SITE_TIMEOUT) -> None:
    """A static site goes live only once the router answers for it (a broken or orphaned
    nginx would answer 404 for every site while the deployment said ACTIVE)."""
    deadline = time.monotonic() + timeout
    while not ctx.services.router.serves_site(ctx.app.id, component):
        if time.monotonic() > deadline:
            raise DockyardError(f"static site '{component}' is not served by the router "
                                f"after {timeout:.0f} s", code="router.site_not_served",
                                hint="Check the dockyard-nginx program (`dockyard status`) "
                                     "and the router's logs, then deploy again.")
        time.sleep(0.1)


def routing_table(services: Services, app: App, spec: Any) -> list[AppRouting]:
    """Every app's routing, with ``app`` at ``spec`` (the others at their active spec)."""
    from dockyard.appspec import parse_spec_data

    table = [app_routing(app, spec)]
    for other in services.store.list_apps():
        if other.id == app.id:
            continue
        active = services.store.list_deployments(other.id, phases=(Phase.ACTIVE.value,))
        if active:
            other_spec = parse_spec_data(
                services.store.spec_version(other.id, active[0].spec_version)).spec
            table.append(app_routing(other, other_spec))
    return table


def active_instances(services: Services, app_id: str) -> list[Instance]:
    return [inst for dep in services.store.list_deployments(app_id, phases=(Phase.ACTIVE.value,))
            for inst in deployment_instances(app_id, dep)]


def switched_to(services: Services, app_id: str, records: list[ComponentRecord]) -> bool:
    """Does the router already send every service of the app to these records' instances?"""
    targets = {r.name: sorted(i.port for i in r.instances if i.port) for r in records
               if r.kind == "service"}
    if not targets or not all(targets.values()):
        return False
    try:
        active = services.router.active(app_id)
    except Exception:  # noqa: BLE001 - no router state: nothing was switched
        return False
    return all(sorted(active.get(name, [])) == ports for name, ports in targets.items())


# -- 4. retire the old release -------------------------------------------------------------
def retire(services: Services, app: App, dep: Deployment, old: list[Instance]) -> None:
    """Drain the previous release's instances (its deployment was SUPERSEDED when ``dep``
    went live), then prune old releases. Instances ``dep`` kept (a partial restart) are not
    old: they go on serving."""
    from dockyard.deploy.pruning import prune

    kept = {inst.program for inst in deployment_instances(app.id, dep)}
    old = [inst for inst in old if inst.program not in kept]
    spec = services.store.spec_version(app.id, dep.spec_version)
    drains = {s["name"]: float((s.get("termination") or {}).get("drain_seconds",
                                                                DEFAULT_DRAIN_SECONDS))
              for s in spec.get("services", [])}
    log = Log(services.home.logs(app.id) / dep.id / "deploy.log")
    try:
        drain(services, app.id, old, drains, log)
        prune(services, app, log)
    finally:
        log.close()


def drain(services: Services, app_id: str, old: list[Instance],
          drain_seconds: dict[str, float], log: Log) -> None:
    """Let old instances finish in-flight requests, then stop them (SIGTERM, then SIGKILL)."""
    if not old:
        return
    start = time.monotonic()
    time.sleep(MIN_DRAIN_SECONDS)
    for comp in sorted({i.component for i in old}):
        ports = [i.port for i in old if i.component == comp and i.port]
        limit = start + drain_seconds.get(comp, DEFAULT_DRAIN_SECONDS)
        while ports and time.monotonic() < limit and \
                services.router.sessions(app_id, comp, ports):
            time.sleep(0.1)
    services.runtime.stop(old)
    log.step(f"Stopped {len(old)} old instance(s) after {time.monotonic() - start:.1f}s drain")


__all__ = ["active_instances", "drain", "gate", "instances_of", "retire", "routing_table",
           "start_new", "switch", "switched_to"]
