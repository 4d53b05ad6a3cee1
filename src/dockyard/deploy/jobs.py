"""Jobs: ``PRE_DEPLOY`` before any traffic moves (the place for ``migrate``), ``POST_DEPLOY``
after the swap, ``FAILED_DEPLOY`` after a failure. Each runs to its end in a fresh copy of its
release, through the runtime, with its output in the deploy log.
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.deploy.context import DeployContext
from dockyard.deploy.launches import launch_for
from dockyard.errors import CommandFailed, DockyardError
from dockyard.release.bindings import Bindings
from dockyard.runtime import Instance

UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
DEFAULT_TIMEOUT = 1800.0


def seconds(duration: str | None, default: float = DEFAULT_TIMEOUT) -> float:
    """A Go duration string (``1h30m``, ``90s``) in seconds."""
    if not duration:
        return default
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    return sum(float(n) * UNITS[u] for n, u in parts) or default


def jobs_of_kind(ctx: DeployContext, kind: str) -> list[Any]:
    return [c for k, c in ctx.built() if k == "job" and c.effective_kind.value == kind]


def run_jobs(ctx: DeployContext, binds: Bindings, kind: str, *, fail: bool) -> None:
    """Run every job of ``kind`` in spec order; raise on the first failure if ``fail``."""
    for job in jobs_of_kind(ctx, kind):
        if job.name not in ctx.components:
            continue
        try:
            run_job(ctx, binds, job)
        except DockyardError as exc:
            ctx.log.error(f"{kind} job '{job.name}' failed: {exc.message}")
            if fail:
                raise DockyardError(f"{kind} job '{job.name}' failed: {exc.message}",
                                    code="deploy.job_failed",
                                    hint="The previous release keeps serving; its output "
                                         "is in the deploy log.") from exc


def run_job(ctx: DeployContext, binds: Bindings, job: Any) -> None:
    launch = launch_for(ctx, job, binds, port=None, kind="job")
    inst = Instance(ctx.app.id, ctx.dep.id, job.name, 0, None)
    ctx.log.step(f"Running {job.effective_kind.value} job '{job.name}': "
                 f"{launch.command.strip().splitlines()[0]}")
    try:
        ctx.services.runtime.run_job(inst, launch, ctx.log, seconds(getattr(job, "timeout", None)))
    except CommandFailed as exc:
        raise DockyardError(exc.message, code=exc.code) from exc
    ctx.log.step(f"Job '{job.name}' succeeded")
