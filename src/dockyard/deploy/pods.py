"""What an app runs on a cluster, as the API shows it: instances and health from the pods,
run logs from the pods' logs (there are no local instance records or log files there).

The API asks these when ``Services.rolls_releases``; on this machine it keeps reading the
deployment's records, supervisord and the run log files.
"""

from __future__ import annotations

from typing import Any

from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.runtime import Instance, State
from dockyard.store import App, Deployment

RUNNING_KINDS = {"services": "service", "workers": "worker"}


def all_pods(services: Services, app_id: str) -> list[tuple[Instance, State]]:
    """Every pod of the app as an instance (its release is the deployment id it runs)."""
    from dockyard.deploy.cluster import release_runtime

    try:
        return release_runtime(services).instances(app_id)
    except DockyardError as exc:
        if exc.code == "kubernetes.no_namespace":  # never deployed, or deleted
            return []
        raise


def component_kinds(services: Services, app: App, dep: Deployment) -> dict[str, str]:
    spec = services.store.spec_version(app.id, dep.spec_version)
    return {c["name"]: kind for group, kind in RUNNING_KINDS.items()
            for c in spec.get(group, [])}


def instances(services: Services, app: App, dep: Deployment | None
              ) -> list[tuple[str, Instance, State]]:
    """``(kind, instance, state)`` of the pods of the app's services and workers (during a
    rollout, the old release's pods beside the new)."""
    if dep is None:
        return []
    kinds = component_kinds(services, app, dep)
    return [(kinds[inst.component], inst, state) for inst, state in all_pods(services, app.id)
            if inst.component in kinds]


def health(services: Services, app: App, dep: Deployment | None) -> list[dict[str, Any]]:
    """Per component: the replicas the spec asks for and how many pods are ready."""
    if dep is None:
        return []
    spec = services.store.spec_version(app.id, dep.spec_version)
    rows = instances(services, app, dep)
    out = []
    for group in RUNNING_KINDS:
        for comp in spec.get(group, []):
            auto = comp.get("autoscaling") or {}
            want = int(auto.get("min_instance_count") or comp.get("instance_count") or 1)
            mine = [(inst, state) for _kind, inst, state in rows
                    if inst.component == comp["name"]]
            ready = min(want, sum(1 for _i, state in mine if state == State.RUNNING))
            out.append({"name": comp["name"], "replicas_desired": want,
                        "replicas_ready": ready,
                        "state": "HEALTHY" if ready == want else "UNHEALTHY",
                        "dockyard": {"instances": [
                            {"instance_alias": i.alias, "state": str(s), "release": i.deployment_id}
                            for i, s in mine]}})
    return out


def run_log(services: Services, app: App, dep: Deployment, component: str | None,
            tail: int | None, *, prefix: bool = True) -> list[str]:
    """The run log lines of the deployment's pods (of the live pods, for the live deployment
    when none carries its id: a restart keeps the release it restarted)."""
    from dockyard.deploy.cluster import release_runtime

    pods = [inst for inst, _state in all_pods(services, app.id)
            if not component or inst.component == component]
    chosen = [i for i in pods if i.deployment_id == dep.id] or (
        pods if dep.phase == "ACTIVE" else [])
    runtime = release_runtime(services)
    lines: list[str] = []
    for inst in chosen:
        label = f"{inst.component}-{inst.index} " if prefix and len(chosen) > 1 else ""
        lines += [label + line for line in runtime.log_lines(inst, tail or 0)]
    return lines[-tail:] if tail and tail > 0 else lines
