"""Deployments (services, workers, static sites), Jobs, CronJobs and autoscalers.

A Deployment rolls with ``maxUnavailable: 0``: new pods start beside the old ones and an old
pod goes only once a new one is ready, so a release that never becomes ready never takes
traffic (the old ReplicaSet keeps serving). ``revisionHistoryLimit`` keeps old ReplicaSets
for rollbacks.
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.target import Manifest, Target

REVISION_HISTORY = 10
PROGRESS_DEADLINE = 600     # seconds before a stuck rollout is reported as failed
JOB_TTL = 86400             # finished deploy-time Jobs are kept a day for their logs
UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}


def duration_seconds(text: str | None, default: int = 1800) -> int:
    """A Go duration (``1h30m``, ``90s``) in whole seconds."""
    if not text:
        return default
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    return int(sum(float(n) * UNITS[u] for n, u in parts)) or default


def meta(name: str, target: Target, labels: dict[str, str],
         annotations: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "namespace": target.namespace, "labels": labels}
    if annotations:
        out["annotations"] = annotations
    return out


def template(labels: dict[str, str], target: Target, pod: dict[str, Any]) -> dict[str, Any]:
    """A pod template labelled with the release, so the rollout (and ``state``) can tell
    the new pods from the old."""
    return {"metadata": {"labels": {**labels, names.RELEASE: names.dns_label(target.release)}},
            "spec": pod}


def deployment(comp: Any, labels: dict[str, str], target: Target, pod: dict[str, Any],
               *, autoscaled: bool) -> Manifest:
    spec: dict[str, Any] = {}
    if not autoscaled:  # with an autoscaler, the HPA owns the replica count
        spec["replicas"] = int(getattr(comp, "instance_count", 1) or 1)
    spec |= {
        "selector": {"matchLabels": names.selector(target.app, comp.name)},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "100%"}},
        "revisionHistoryLimit": REVISION_HISTORY,
        "progressDeadlineSeconds": PROGRESS_DEADLINE,
        "template": template(labels, target, pod),
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta(names.dns_label(comp.name), target, labels), "spec": spec}


def job_spec(job: Any, labels: dict[str, str], target: Target,
             pod: dict[str, Any]) -> dict[str, Any]:
    """Run once, no retry (a failing PRE_DEPLOY job fails the deployment, as locally)."""
    return {"backoffLimit": 0, "activeDeadlineSeconds": duration_seconds(job.timeout),
            "template": template(labels, target, pod)}


def deploy_job(job: Any, labels: dict[str, str], target: Target,
               pod: dict[str, Any]) -> Manifest:
    """A PRE_DEPLOY/POST_DEPLOY/FAILED_DEPLOY job: one Job per release (Jobs are immutable)."""
    kind = str(job.effective_kind.value)
    labels = {**labels, names.JOB_KIND: kind}
    spec = job_spec(job, labels, target, pod)
    spec["ttlSecondsAfterFinished"] = JOB_TTL
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": meta(names.release_name(job.name, target.release), target, labels),
            "spec": spec}


def cron_job(job: Any, labels: dict[str, str], target: Target, pod: dict[str, Any]) -> Manifest:
    """A SCHEDULED job: ``schedule.cron`` in ``schedule.time_zone`` (UTC when unset)."""
    labels = {**labels, names.JOB_KIND: "SCHEDULED"}
    spec: dict[str, Any] = {
        "schedule": job.schedule.cron, "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
        "jobTemplate": {"metadata": {"labels": labels},
                        "spec": job_spec(job, labels, target, pod)},
    }
    if job.schedule.time_zone:
        spec["timeZone"] = job.schedule.time_zone
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": meta(names.dns_label(job.name), target, labels), "spec": spec}


def autoscaler(comp: Any, labels: dict[str, str], target: Target) -> tuple[Manifest, list[str]]:
    """``autoscaling`` as an autoscaling/v2 HPA on CPU; the request metrics need a metrics
    adapter the cluster may not have, so they are reported, not rendered."""
    scaling = comp.autoscaling
    metrics = scaling.metrics
    cpu = metrics.cpu.percent if metrics and metrics.cpu else 80
    notes = [f"{comp.name}: autoscaling.metrics.{name} is not rendered (an HPA needs a custom "
             "metrics adapter for it); CPU is used" for name in
             ("requests_per_second", "request_duration") if getattr(metrics, name, None)]
    name = names.dns_label(comp.name)
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": meta(name, target, labels),
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                       "name": name},
                    "minReplicas": scaling.min_instance_count,
                    "maxReplicas": scaling.max_instance_count,
                    "metrics": [{"type": "Resource", "resource": {
                        "name": "cpu", "target": {"type": "Utilization",
                                                  "averageUtilization": cpu}}}]}}
    return hpa, notes
