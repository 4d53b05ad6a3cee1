"""A Deployment's rollout in DigitalOcean's phases, watched (not polled blindly), and undone.

The phase comes from the Deployment's status: ``PENDING_DEPLOY`` until the controller has
seen the new template, ``DEPLOYING`` while new pods come up beside the old ones, ``ACTIVE``
once every replica runs the new template and the old pods are gone, ``ERROR`` when the
progress deadline passes or a new pod crash-loops or cannot pull its image. Undo is what
``kubectl rollout undo`` does: the previous ReplicaSet's template goes back into the
Deployment, so the old pods (never scaled down, ``maxUnavailable: 0``) keep serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dockyard.errors import DockyardError
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.client import Cluster, Obj

PENDING_DEPLOY, DEPLOYING, ACTIVE, ERROR = "PENDING_DEPLOY", "DEPLOYING", "ACTIVE", "ERROR"
CRASH_LOOP_RESTARTS = 3
STUCK = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
         "CreateContainerError"}
REVISION = "deployment.kubernetes.io/revision"
OnPhase = Callable[[str, str], None]


class RolloutFailed(DockyardError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, code="deploy.rollout_failed", hint=hint)


def phase_of(dep: Obj) -> tuple[str, str]:
    """(phase, what is happening) from a Deployment's status."""
    spec, status = dep.get("spec", {}), dep.get("status") or {}
    want = int(spec.get("replicas", 1))
    if int(status.get("observedGeneration", 0)) < int(dep["metadata"].get("generation", 1)):
        return PENDING_DEPLOY, "waiting for the controller to see the new release"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return ERROR, "the rollout passed its progress deadline"
    updated = int(status.get("updatedReplicas", 0))
    available = int(status.get("availableReplicas", 0))
    total = int(status.get("replicas", 0))
    if updated < want:
        return DEPLOYING, f"{updated} of {want} new pods created"
    if total > updated:
        return DEPLOYING, f"{total - updated} old pods still serving"
    if available < want:
        return DEPLOYING, f"{available} of {want} new pods ready"
    return ACTIVE, f"{want} of {want} pods ready"


def pod_trouble(pod: Obj) -> str | None:
    """Why a new pod will not become ready by itself, or None."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in STUCK:
            return f"{waiting['reason']}: {waiting.get('message', '')}".strip(": ")
        if int(cs.get("restartCount", 0)) >= CRASH_LOOP_RESTARTS:
            return f"crash-looping: restarted {cs['restartCount']} times"
    if (pod.get("status") or {}).get("phase") == "Failed":
        return "the pod failed"
    return None


def new_pods(cluster: Cluster, namespace: str, component: str, release: str) -> list[Obj]:
    selector = f"{names.COMPONENT}={names.dns_label(component)}," \
               f"{names.RELEASE}={names.dns_label(release)}"
    return sorted(cluster.list("Pod", namespace, selector), key=lambda p: p["metadata"]["name"])


def crash_report(cluster: Cluster, namespace: str, component: str, release: str) -> str | None:
    for pod in new_pods(cluster, namespace, component, release):
        trouble = pod_trouble(pod)
        if trouble:
            log = cluster.pod_log(namespace, pod["metadata"]["name"], tail=15).rstrip()
            return f"pod {pod['metadata']['name']}: {trouble}" + \
                (f"; last log lines:\n{log}" if log else "")
    return None


def wait_rollout(cluster: Cluster, namespace: str, name: str, release: str, *,
                 timeout: float, on_phase: OnPhase, window: int = 5) -> None:
    """Watch the Deployment until it is ACTIVE; raise ``RolloutFailed`` on ERROR.

    Between watch windows (``window`` seconds, when nothing changed) the new pods are
    checked, since a crash loop does not change the Deployment's status.
    """
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        left = max(1, min(window, int(deadline - time.monotonic())))
        for _type, dep in cluster.watch("Deployment", namespace, name=name, timeout=left):
            phase, detail = phase_of(dep)
            if f"{phase}:{detail}" != last:
                last = f"{phase}:{detail}"
                on_phase(phase, f"{name}: {detail}")
            if phase == ACTIVE:
                return
            if phase == ERROR:
                raise RolloutFailed(f"{name}: {detail}", hint=crash_report(
                    cluster, namespace, name, release))
            _check_pods(cluster, namespace, name, release)
        _check_pods(cluster, namespace, name, release)
    raise RolloutFailed(f"{name}: not ready within {timeout:.0f} s")


def _check_pods(cluster: Cluster, namespace: str, name: str, release: str) -> None:
    report = crash_report(cluster, namespace, name, release)
    if report:
        raise RolloutFailed(f"{name}: a new pod does not start", hint=report)


def revision(obj: Obj) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, 0))


def undo(cluster: Cluster, namespace: str, name: str) -> Obj | None:
    """Put the previous ReplicaSet's template back (``kubectl rollout undo``); with no
    previous one (a first release), delete the Deployment. Returns the patched Deployment."""
    dep = cluster.get("Deployment", namespace, name)
    if dep is None:
        return None
    selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items())
    sets = sorted(cluster.list("ReplicaSet", namespace, selector), key=revision, reverse=True)
    if len(sets) < 2:
        cluster.delete("Deployment", namespace, name)
        return None
    template: dict[str, Any] = sets[1]["spec"]["template"]
    labels = {k: v for k, v in template["metadata"].get("labels", {}).items()
              if k != "pod-template-hash"}
    template = {**template, "metadata": {**template["metadata"], "labels": labels}}
    return cluster.patch("Deployment", namespace, name, {"spec": {"template": template}})
