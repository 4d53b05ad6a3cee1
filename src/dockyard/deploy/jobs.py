"""Jobs that run around a deployment: ``PRE_DEPLOY`` before any traffic moves (the place for
``migrate``), ``POST_DEPLOY`` after the swap, ``FAILED_DEPLOY`` after a failure.

A job runs once, in its own writable copy of its release, with the same environment an
instance would get (no ``PORT``); its output goes to the deploy log. A failing
``PRE_DEPLOY`` job fails the deployment; the others are reported but change nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dockyard.deploy.context import DeployContext
from dockyard.entrypoints import LAUNCHER, argv
from dockyard.errors import CommandFailed, DockyardError
from dockyard.proc import run
from dockyard.release.bindings import Bindings
from dockyard.release.environment import run_env
from dockyard.runtime.local.instances import Instance, LocalRuntime

UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def seconds(duration: str | None, default: float = 1800) -> float:
    """A Go duration string (``1h30m``, ``90s``) in seconds."""
    if not duration:
        return default
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    return sum(float(n) * UNITS[u] for n, u in parts) or default


def jobs_of_kind(ctx: DeployContext, kind: str) -> list[Any]:
    return [c for k, c in ctx.built() if k == "job" and c.effective_kind.value == kind]


def run_jobs(ctx: DeployContext, runtime: LocalRuntime, binds: Bindings, kind: str,
             *, fail: bool) -> None:
    """Run every job of ``kind`` in spec order; raise on the first failure if ``fail``."""
    for job in jobs_of_kind(ctx, kind):
        record = ctx.components.get(job.name)
        if not record:
            continue
        try:
            run_job(ctx, runtime, binds, job, record)
        except DockyardError as exc:
            ctx.log.error(f"{kind} job '{job.name}' failed: {exc.message}")
            if fail:
                raise DockyardError(f"{kind} job '{job.name}' failed: {exc.message}",
                                    code="deploy.job_failed",
                                    hint="The previous release keeps serving; its output "
                                         "is in the deploy log.") from exc


def run_job(ctx: DeployContext, runtime: LocalRuntime, binds: Bindings, job: Any,
            record: dict[str, Any]) -> None:
    from dockyard.deploy.running import run_command

    command = run_command(job, record)
    inst = Instance(ctx.app.id, ctx.dep.id, job.name, 0, None)
    env, sealed = ctx.sealed_env(run_env(
        ctx.spec, job, bindings=binds, port=None, venv=record.get("venv") or None,
        release_env=record.get("run_env"),
        home=runtime.instance_dir(inst), reveal=ctx.reveal))
    prog = runtime.prepare(inst, Path(record["app_dir"]), command, env, encrypted=sealed,
                           masks=ctx.sealed_masks())
    ctx.log.step(f"Running {job.effective_kind.value} job '{job.name}': "
                 f"{command.strip().splitlines()[0]}")
    try:
        run(argv(LAUNCHER, prog.argv[-1]),
            log=ctx.log, cwd=prog.cwd, code="deploy.job_failed", what=f"job '{job.name}'",
            timeout=seconds(getattr(job, "timeout", None)))
    except CommandFailed as exc:
        raise DockyardError(exc.message, code=exc.code) from exc
    finally:
        runtime.discard(inst)
    ctx.log.step(f"Job '{job.name}' succeeded")
