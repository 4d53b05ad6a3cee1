"""``KubernetesRuntime``: the ``Runtime`` protocol on a cluster, plus ``deploy``, which
rolls a whole release out at once (the call a cluster needs and the protocol lacks).

``deploy(spec, target, log)`` applies the release's configuration, runs its PRE_DEPLOY Jobs,
applies every Deployment and watches the rollouts, and on failure undoes each Deployment it
changed (the old ReplicaSets keep serving) and runs the FAILED_DEPLOY Jobs; on success it
applies the autoscalers, CronJobs and Ingresses and runs the POST_DEPLOY Jobs. The phases it
went through are DigitalOcean's and are returned (and reported to ``on_phase``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.runtime import Instance, Launch, Runtime, State, Usage
from dockyard.runtime.kubernetes import launches as launch_manifests
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.client import Cluster, Obj
from dockyard.runtime.kubernetes.jobs import run_job
from dockyard.runtime.kubernetes.pods_state import instance_pod, instances_of, pod_state
from dockyard.runtime.kubernetes.render import render
from dockyard.runtime.kubernetes.rollout import (
    ACTIVE,
    DEPLOYING,
    ERROR,
    PENDING_DEPLOY,
    RolloutFailed,
    undo,
    wait_rollout,
)
from dockyard.runtime.kubernetes.target import Target

FIRST = ("Namespace", "Secret", "ConfigMap", "Cluster", "Service")
AFTER = ("HorizontalPodAutoscaler", "CronJob", "Ingress")
OnPhase = Callable[[str, str], None]


@dataclass(frozen=True)
class KubeSettings:
    """How this installation uses its cluster (``dockyard up --runtime kubernetes``)."""

    kubeconfig: str
    context: str | None = None
    registry: str = ""
    namespace_prefix: str = names.DEFAULT_NAMESPACE_PREFIX
    ingress_class: str = "nginx"
    cluster_issuer: str = "letsencrypt"
    base_domain: str = ""
    rollout_timeout: float = 600.0
    watch_window: int = 5


class Phases:
    """The release's phases, forward only, each reported once."""

    def __init__(self, log: Log, on_phase: OnPhase | None) -> None:
        self.seen: list[str] = []
        self.log, self.on_phase = log, on_phase

    def __call__(self, phase: str, detail: str) -> None:
        if phase in (PENDING_DEPLOY, DEPLOYING) and self.seen and self.seen[-1] == DEPLOYING:
            phase = DEPLOYING  # one Deployment still pending while another rolls
        if not self.seen or self.seen[-1] != phase:
            self.seen.append(phase)
            self.log.step(f"{phase}: {detail}")
            if self.on_phase:
                self.on_phase(phase, detail)
        else:
            self.log.child(detail)


class KubernetesRuntime:
    rolls_releases = True   # the deploy core calls ``deploy`` for a whole release

    def __init__(self, cluster: Cluster, settings: KubeSettings,
                 reveal: Callable[[str], str] | None = None) -> None:
        self.cluster = cluster
        self.settings = settings
        self.reveal = reveal
        self._namespaces: dict[str, str] = {}

    def target(self, app: str, app_id: str, release: str, **kw: Any) -> Target:
        s = self.settings
        return Target(app=app, app_id=app_id, release=release,
                      registry=s.registry or Target.registry, namespace_prefix=s.namespace_prefix,
                      ingress_class=s.ingress_class, cluster_issuer=s.cluster_issuer,
                      base_domain=s.base_domain, reveal=self.reveal, **kw)

    # -- a whole release ---------------------------------------------------------------
    def deploy(self, spec: Any, target: Target, log: Log,
               on_phase: OnPhase | None = None) -> list[str]:
        """Roll the release out; raise ``RolloutFailed`` (old release serving) on failure."""
        phases = Phases(log, on_phase)
        rendered = render(spec, target)
        for note in rendered.notes:
            log.step(f"Note: {note}")
        ns = target.namespace
        self._namespaces[target.app_id] = ns
        phases(PENDING_DEPLOY, f"applying the configuration of release {target.release}")
        for manifest in (m for m in rendered.manifests if m["kind"] in FIRST):
            self.cluster.apply(manifest)
        try:
            self._jobs(rendered.manifests, "PRE_DEPLOY", log, phases, fail=True)
            self._roll(rendered.of_kind("Deployment"), ns, target, log, phases)
        except RolloutFailed:
            self._jobs(rendered.manifests, "FAILED_DEPLOY", log, phases, fail=False)
            raise
        for manifest in (m for m in rendered.manifests if m["kind"] in AFTER):
            self.cluster.apply(manifest)
        phases(ACTIVE, f"release {target.release} is live")
        self._jobs(rendered.manifests, "POST_DEPLOY", log, phases, fail=False)
        self.prune(ns, log)
        return phases.seen

    def prune(self, ns: str, log: Log) -> None:
        """Drop the per-release ConfigMaps and Secrets no ReplicaSet or CronJob refers to
        any more (a rollback needs those of the ReplicaSets Kubernetes keeps)."""
        keep = set()
        for kind in ("ReplicaSet", "Deployment", "CronJob"):
            for obj in self.cluster.list(kind, ns):
                spec = obj["spec"].get("jobTemplate", {}).get("spec", obj["spec"])
                labels = spec["template"]["metadata"].get("labels", {})
                keep.add(labels.get(names.RELEASE))
        selector = f"{names.MANAGED_BY}={names.MANAGER}"
        for kind in ("ConfigMap", "Secret"):
            for obj in self.cluster.list(kind, ns, selector):
                release = obj["metadata"]["labels"].get(names.RELEASE)
                if release and release not in keep:
                    self.cluster.delete(kind, ns, obj["metadata"]["name"])
                    log.child(f"removed {kind} {obj['metadata']['name']} (release {release})")

    def _roll(self, deployments: list[Obj], ns: str, target: Target, log: Log,
              phases: Phases) -> None:
        previous = {d["metadata"]["name"]: self._release_of(ns, d["metadata"]["name"])
                    for d in deployments}
        changed: list[str] = []
        phases(DEPLOYING, f"rolling out {len(deployments)} Deployment(s): "
                          + ", ".join(d["metadata"]["name"] for d in deployments))
        try:
            for dep in deployments:
                self.cluster.apply(dep)
                changed.append(dep["metadata"]["name"])
            for dep in deployments:   # one Deployment done is not the release live yet
                wait_rollout(self.cluster, ns, dep["metadata"]["name"], target.release,
                             timeout=self.settings.rollout_timeout,
                             on_phase=lambda p, d: phases(DEPLOYING if p == ACTIVE else p, d),
                             window=self.settings.watch_window)
        except RolloutFailed as exc:
            phases(ERROR, exc.message)
            if exc.hint:
                log.error(exc.hint)
            self._undo(ns, changed, previous, log)
            raise

    def _undo(self, ns: str, changed: list[str], previous: dict[str, str | None],
              log: Log) -> None:
        for name in changed:
            undone = undo(self.cluster, ns, name)
            before = previous.get(name)
            if undone is None or not before:
                log.error(f"{name}: no earlier release to return to; its Deployment is removed")
                continue
            wait_rollout(self.cluster, ns, name, before, timeout=self.settings.rollout_timeout,
                         on_phase=lambda _p, d: log.child(f"rollback {d}"),
                         window=self.settings.watch_window)
            log.step(f"{name}: rolled back; release {before} serves")

    def _release_of(self, ns: str, name: str) -> str | None:
        dep = self.cluster.get("Deployment", ns, name)
        if dep is None:
            return None
        labels: dict[str, str] = dep["spec"]["template"]["metadata"].get("labels", {})
        return labels.get(names.RELEASE)

    def _jobs(self, manifests: list[Obj], kind: str, log: Log, phases: Phases, *,
              fail: bool) -> None:
        for job in (m for m in manifests if m["kind"] == "Job"
                    and m["metadata"]["labels"].get(names.JOB_KIND) == kind):
            name = job["metadata"]["name"]
            log.step(f"Running {kind} job '{name}'")
            try:
                run_job(self.cluster, job, log, float(job["spec"]["activeDeadlineSeconds"]))
            except CommandFailed as exc:
                log.error(f"{kind} job '{name}' failed: {exc.message}")
                if fail:
                    phases(ERROR, exc.message)
                    raise RolloutFailed(f"{kind} job '{name}' failed",
                                        hint="The previous release keeps serving; the job's "
                                             "output is in the deploy log.") from exc
            else:
                log.step(f"Job '{name}' succeeded")

    def restart(self, app_id: str, log: Log, components: Sequence[str] = ()) -> None:
        """``kubectl rollout restart``: new pods for the same release, one by one."""
        ns = self.namespace(app_id)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for dep in self.cluster.list("Deployment", ns):
            name = dep["metadata"]["name"]
            if components and name not in {names.dns_label(c) for c in components}:
                continue
            self.cluster.patch("Deployment", ns, name, {"spec": {"template": {"metadata": {
                "annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}})
            release = self._release_of(ns, name) or ""
            wait_rollout(self.cluster, ns, name, release, timeout=self.settings.rollout_timeout,
                         on_phase=lambda _p, d: log.child(d), window=self.settings.watch_window)
            log.step(f"{name}: restarted")

    def instances(self, app_id: str) -> list[tuple[Instance, State]]:
        """Every pod of the app as an instance (component, release, index) and its state."""
        return instances_of(self.cluster.list("Pod", self.namespace(app_id)), app_id)

    def namespace(self, app_id: str) -> str:
        if app_id not in self._namespaces:
            found = self.cluster.list("Namespace", None,
                                      f"{names.APP_ID}={names.dns_label(app_id)}")
            if not found:
                raise DockyardError(f"no namespace on the cluster for app {app_id}",
                                    code="kubernetes.no_namespace")
            self._namespaces[app_id] = found[0]["metadata"]["name"]
        return self._namespaces[app_id]

    # -- the Runtime protocol ------------------------------------------------------------
    def start(self, launches: Sequence[tuple[Instance, Launch]]) -> None:
        groups: dict[tuple[str, str, str], list[tuple[Instance, Launch]]] = {}
        for inst, launch in launches:
            groups.setdefault((inst.app_id, inst.component, inst.deployment_id), []).append(
                (inst, launch))
        for group in groups.values():
            inst, launch = group[0]
            ns, app = self._ensure_namespace(inst.app_id, launch)
            for manifest in launch_manifests.deployment(ns, app, group, self.reveal):
                self.cluster.apply(manifest)

    def _ensure_namespace(self, app_id: str, launch: Launch) -> tuple[str, str]:
        app = launch.labels.get("app") or app_id[:8]
        try:
            ns = self.namespace(app_id)
        except DockyardError:
            ns = names.namespace(app, self.settings.namespace_prefix)
            self.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
                "name": ns, "labels": names.app_labels(app, app_id)}})
            self._namespaces[app_id] = ns
        part_of = (self.cluster.get("Namespace", None, ns) or {}).get("metadata", {}).get(
            "labels", {}).get(names.PART_OF, app)
        return ns, str(part_of)

    def state(self, inst: Instance) -> State:
        return pod_state(self._pod(inst))

    def restarts(self, inst: Instance, since: float = 0.0) -> int:
        """Container restarts of the instance's pod (``since`` is not known on a cluster)."""
        pod = self._pod(inst) or {}
        return sum(int(c.get("restartCount", 0)) for c in
                   (pod.get("status") or {}).get("containerStatuses") or [])

    def stop(self, instances: Sequence[Instance]) -> None:
        """Instances of the release a Deployment runs now: roll it back; older ones are gone
        already (the rollout scaled their ReplicaSet down)."""
        for app_id, component, release in sorted({(i.app_id, i.component, i.deployment_id)
                                                  for i in instances}):
            ns = self.namespace(app_id)
            name = names.dns_label(component)
            if self._release_of(ns, name) == names.dns_label(release):
                undo(self.cluster, ns, name)

    def run_job(self, inst: Instance, launch: Launch, log: Log, timeout: float) -> None:
        ns, app = self._ensure_namespace(inst.app_id, launch)
        secret, job = launch_manifests.job(ns, app, inst, launch, timeout, self.reveal)
        self.cluster.apply(secret)
        run_job(self.cluster, job, log, timeout)

    def console(self, inst: Instance, launch: Launch) -> list[str]:
        """``kubectl exec`` into the instance's pod (kubectl is the user's)."""
        pod = self._pod(inst)
        if pod is None:
            raise DockyardError(f"no running pod for {inst.alias}", code="kubernetes.no_pod")
        argv = ["kubectl", "--kubeconfig", self.settings.kubeconfig]
        if self.settings.context:
            argv += ["--context", self.settings.context]
        return argv + ["-n", self.namespace(inst.app_id), "exec", "-it",
                       pod["metadata"]["name"], "--", "/bin/bash", "-c",
                       launch.command or "exec bash"]

    def end_console(self, inst: Instance) -> None:
        """Nothing to clean: the console ran in the instance's own pod."""

    def log_lines(self, inst: Instance, tail: int) -> list[str]:
        pod = self._pod(inst)
        if pod is None:
            return []
        text = self.cluster.pod_log(self.namespace(inst.app_id), pod["metadata"]["name"], tail)
        return text.splitlines()

    def files(self, inst: Instance) -> None:
        return None

    def usage(self, inst: Instance) -> Usage | None:
        """Not measured on a cluster yet (metrics-server's API would give it)."""
        return None

    def running(self, app_id: str) -> set[str]:
        """Nothing to reap on a cluster: its controllers remove a rolled-back release."""
        return set()

    def remove_app(self, app_id: str) -> None:
        """Delete the app's namespace (everything in it goes with it)."""
        for ns in self.cluster.list("Namespace", None,
                                    f"{names.APP_ID}={names.dns_label(app_id)}"):
            self.cluster.delete("Namespace", None, ns["metadata"]["name"])
        self._namespaces.pop(app_id, None)

    def _pod(self, inst: Instance) -> Obj | None:
        try:
            ns = self.namespace(inst.app_id)
        except DockyardError:
            return None
        return instance_pod(self.cluster, ns, inst)


if TYPE_CHECKING:
    def _conforms(runtime: KubernetesRuntime) -> Runtime:
        return runtime   # mypy checks KubernetesRuntime against the protocol
