"""Start the new release beside the old, gate on health, swap the router, drain the old.

STYLE.md §5: three calls, each with a named default; if the gate fails the new processes are
stopped before any routing changes, so the old release keeps serving.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dockyard.deploy.context import DeployContext
from dockyard.deploy.health import Check, wait_healthy
from dockyard.errors import DockyardError
from dockyard.release.bindings import Bindings
from dockyard.release.environment import run_env
from dockyard.runtime.local.instances import FAILED_STATES, Instance, LocalRuntime
from dockyard.settings import free_port

MIN_DRAIN_SECONDS = 1.0        # measured: stopping at once after a switch lost requests
WORKER_START_TIMEOUT = 30.0
CRASH_LOOP_RESTARTS = 3       # restarts before the gate gives up on a new instance


def instances_of(record: dict[str, Any], app_id: str, dep_id: str) -> list[Instance]:
    return [Instance(app_id, dep_id, record["name"], i["index"], i.get("port"))
            for i in record.get("instances", [])]


def run_command(comp: Any, record: dict[str, Any]) -> str:
    command = getattr(comp, "run_command", None) or record.get("default_run_command")
    if not command:
        raise DockyardError(f"{record['kind']} '{comp.name}' has no run_command and none was "
                            "detected (no Procfile web: line, no Django wsgi module)",
                            code="deploy.no_run_command",
                            hint=f"Set run_command for '{comp.name}' in the spec.")
    return command


def start_instances(ctx: DeployContext, runtime: LocalRuntime, binds: Bindings,
                    used_ports: set[int]) -> list[Instance]:
    """One supervised program per instance of each service and worker, on fresh ports."""
    started: list[Instance] = []
    programs = []
    for kind, comp in ctx.built():
        if kind not in ("service", "worker"):
            continue
        record = ctx.components[comp.name]
        command = run_command(comp, record)
        grace = int(getattr(getattr(comp, "termination", None), "grace_period_seconds", 0)
                    or 120)
        for index in range(comp.instance_count or 1):
            port = free_port(avoid=used_ports) if kind == "service" else None
            if port:
                used_ports.add(port)
            inst = Instance(ctx.app.id, ctx.dep.id, comp.name, index, port)
            env, sealed = ctx.sealed_env(run_env(
                ctx.spec, comp, bindings=binds, port=port, venv=record.get("venv") or None,
                home=runtime.instance_dir(inst), reveal=ctx.reveal))
            programs.append(runtime.prepare(inst, Path(record["app_dir"]), command, env,
                                            encrypted=sealed, stopwaitsecs=grace,
                                            masks=ctx.sealed_masks()))
            record["instances"].append({"index": index, "port": port,
                                        "program": inst.program})
            started.append(inst)
        ctx.log.step(f"Starting {comp.instance_count or 1} instance(s) of {kind} "
                     f"'{comp.name}': {command.strip().splitlines()[-1]}")
    ctx.save(components=list(ctx.components.values()))
    runtime.start(programs)
    return started


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def gate(ctx: DeployContext, runtime: LocalRuntime, instances: list[Instance]) -> None:
    """Every new instance must pass its readiness check (services) or stay up (workers)."""
    host = ctx.live_host
    for inst in instances:
        comp = ctx.spec.component(inst.component)

        def gone(inst: Instance = inst) -> str | None:
            state = runtime.state(inst)
            if state in FAILED_STATES:
                return f"{state}; last run log lines:\n{tail(runtime.log_path(inst))}"
            count = runtime.restarts(inst)
            if count >= CRASH_LOOP_RESTARTS:
                return (f"crash-looping: restarted {count} times; last run log lines:\n"
                        f"{tail(runtime.log_path(inst))}")
            return None

        if inst.port is None:
            wait_running(runtime, inst, gone)
            ctx.log.step(f"Worker {inst.alias} is running")
            continue
        hc = comp.health_check.model_dump(exclude_none=True) if comp.health_check else None
        check = Check.from_spec(hc, inst.port, host)
        took = wait_healthy(check, gone)
        ctx.log.step(f"{inst.alias} is healthy ({check.describe()}, {took:.1f}s)")


SQLITE_MAGIC = b"SQLite format 3\x00"


def sqlite_files(app_dir: Path, depth: int = 3) -> list[Path]:
    """SQLite databases inside an instance's copy of the app (its ephemeral filesystem)."""
    found = []
    for path in app_dir.rglob("*"):
        if len(path.relative_to(app_dir).parts) > depth or not path.is_file():
            continue
        try:
            with path.open("rb") as fh:
                if fh.read(16) == SQLITE_MAGIC:
                    found.append(path)
        except OSError:
            continue
    return found


def warn_sqlite(ctx: DeployContext, runtime: LocalRuntime, instances: list[Instance]) -> None:
    """The book's default ``db.sqlite3`` lives in the release: say that it will be lost."""
    seen: set[tuple[str, str]] = set()
    for inst in instances:
        app_dir = runtime.instance_dir(inst) / "app"
        for path in sqlite_files(app_dir):
            rel = str(path.relative_to(app_dir))
            if (inst.component, rel) in seen:
                continue
            seen.add((inst.component, rel))
            ctx.log.error(
                f"WARNING: '{inst.component}' keeps SQLite data in its release directory "
                f"({rel}); every deployment starts from a fresh copy, so this data will not "
                "survive the next deployment, restart or rollback.")
            ctx.log.error("Declare a database instead:  databases: [{name: db, engine: PG}]  "
                          "and the env  DATABASE_URL: ${db.DATABASE_URL}")


def wait_running(runtime: LocalRuntime, inst: Instance, gone: Any) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        why = gone()
        if why:
            raise DockyardError(f"worker {inst.alias} stopped: {why}",
                                code="deploy.instance_exited")
        if runtime.state(inst) == "RUNNING":
            return
        time.sleep(0.1)
    raise DockyardError(f"worker {inst.alias} did not start in {WORKER_START_TIMEOUT:.0f} s",
                        code="deploy.instance_timeout")


def drain(router: Any, runtime: LocalRuntime, app_id: str, old: list[Instance],
          drain_seconds: dict[str, float], log: Any) -> None:
    """Let old instances finish in-flight requests, then stop them (SIGTERM, then SIGKILL)."""
    if not old:
        return
    start = time.monotonic()
    time.sleep(MIN_DRAIN_SECONDS)
    for comp in sorted({i.component for i in old}):
        ports = [i.port for i in old if i.component == comp and i.port]
        limit = start + drain_seconds.get(comp, 15)
        while ports and time.monotonic() < limit and router.sessions(app_id, comp, ports):
            time.sleep(0.1)
    runtime.stop(old)
    log.step(f"Stopped {len(old)} old instance(s) after {time.monotonic() - start:.1f}s drain")
