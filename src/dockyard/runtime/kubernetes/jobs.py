"""Run a Job to its end on the cluster, watched, with its pod's output in the deploy log."""

from __future__ import annotations

import time

from dockyard.errors import CommandFailed
from dockyard.logs import Log
from dockyard.runtime.kubernetes.client import Cluster, Obj

JOB_GRACE = 60  # seconds past activeDeadlineSeconds before Dockyard stops waiting


def finished(job: Obj) -> bool | None:
    """True when the Job completed, False when it failed, None while it runs."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return bool(cond["type"] == "Complete")
    return None


def run_job(cluster: Cluster, manifest: Obj, log: Log, timeout: float) -> None:
    """Create (or find) the Job, watch it to its end, copy its log; raise ``CommandFailed``
    when it fails or outlives ``timeout`` seconds."""
    namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
    cluster.apply(manifest)
    deadline = time.monotonic() + timeout + JOB_GRACE
    outcome: bool | None = None
    while outcome is None and time.monotonic() < deadline:
        left = max(1, int(deadline - time.monotonic()))
        for _type, job in cluster.watch("Job", namespace, name=name, timeout=min(left, 30)):
            outcome = finished(job)
            if outcome is not None:
                break
    lines = job_log(cluster, namespace, name)
    for line in lines:
        log.child(line)
    if outcome is None:
        raise CommandFailed(f"job '{name}' did not finish in {timeout:.0f} s",
                            code="deploy.job_timeout", tail=lines[-15:])
    if not outcome:
        raise CommandFailed(f"job '{name}' failed", code="deploy.job_failed", tail=lines[-15:])


def job_log(cluster: Cluster, namespace: str, name: str) -> list[str]:
    out: list[str] = []
    for pod in cluster.list("Pod", namespace, f"job-name={name}"):
        out += cluster.pod_log(namespace, pod["metadata"]["name"]).splitlines()
    return out
