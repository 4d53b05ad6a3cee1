"""Pods as the protocol's instances: which pod is instance N of a component's release, and
its state in supervisord's words."""

from __future__ import annotations

from dockyard.runtime import Instance, State
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.client import Cluster, Obj
from dockyard.runtime.kubernetes.rollout import new_pods


def pod_state(pod: Obj | None) -> State:
    if pod is None:
        return State.UNKNOWN
    if pod["metadata"].get("deletionTimestamp"):
        return State.STOPPING
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Pending":
        return State.STARTING
    if phase == "Succeeded":
        return State.EXITED
    if phase == "Failed":
        return State.FATAL
    for cs in status.get("containerStatuses") or []:
        if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff":
            return State.BACKOFF
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in status.get("conditions") or [])
    return State.RUNNING if ready else State.STARTING


def instance_pod(cluster: Cluster, namespace: str, inst: Instance) -> Obj | None:
    """Instance N is the N-th of the release's pods of that component, by name."""
    pods = new_pods(cluster, namespace, inst.component, inst.deployment_id)
    return pods[inst.index] if inst.index < len(pods) else None


def instances_of(pods: list[Obj], app_id: str) -> list[tuple[Instance, State]]:
    groups: dict[tuple[str, str], list[Obj]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        labels = pod["metadata"].get("labels") or {}
        if names.COMPONENT in labels and names.RELEASE in labels:
            groups.setdefault((labels[names.COMPONENT], labels[names.RELEASE]), []).append(pod)
    out = []
    for (component, release), members in sorted(groups.items()):
        for index, pod in enumerate(members):
            port = next((p.get("containerPort") for c in pod["spec"]["containers"]
                         for p in c.get("ports") or [] if p.get("name") == "http"), None)
            out.append((Instance(app_id, release, component, index, port), pod_state(pod)))
    return out
