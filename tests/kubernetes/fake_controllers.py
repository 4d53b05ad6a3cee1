"""FAKE controllers for the fake API server: what kube-controller-manager and the kubelet
would do, reduced to what the runtime watches.

- a Deployment's template gets a ReplicaSet (named by the template's hash, revision +1, an
  earlier ReplicaSet reused when a rollback brings its template back); its pods start beside
  the old ones and the old pods go once every new one is ready (``maxUnavailable: 0``);
- a pod's fate is its image's behaviour: ``ready``, ``unready`` (never passes readiness,
  so the rollout stalls until the progress deadline) or ``crash`` (restarts, CrashLoopBackOff);
  set per image or release in ``behaviours``, or by the pod's own environment: a pod whose
  ConfigMap (or env) sets ``FAKE_POD_BEHAVIOUR`` behaves that way (a spec can ask for it);
- a Job's pod succeeds or fails as ``job_results`` says for its image, with a log.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from typing import Any

from tests.kubernetes.fake_apiserver import FakeApiServer, collection_of

HASH = "pod-template-hash"
ENV_BEHAVIOUR = "FAKE_POD_BEHAVIOUR"
REVISION = "deployment.kubernetes.io/revision"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class FakeControllers:
    def __init__(self, fake: FakeApiServer, tick: float = 0.02,
                 deadline_scale: float = 0.002) -> None:
        self.fake = fake
        self.store = fake.store
        self.tick_seconds = tick
        self.deadline_scale = deadline_scale   # progressDeadlineSeconds x this, in real s
        self.behaviours: dict[str, str] = {}   # image (or release) -> ready|unready|crash
        self.job_results: dict[str, tuple[bool, str]] = {}  # image -> (succeeds, log)
        self._started: dict[tuple[str, str], float] = {}
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeControllers:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            with self.store.cond:
                self.step()

    def step(self) -> None:
        for (coll, _), obj in list(self.store.objects.items()):
            ns = obj["metadata"].get("namespace")
            if coll.endswith("/deployments"):
                self._deployment(ns, obj)
            elif coll.endswith("/jobs"):
                self._job(ns, obj)
        for (coll, _), pod in list(self.store.objects.items()):
            if coll.endswith("/pods"):
                self._kubelet(pod)

    # -- pods of an owner ------------------------------------------------------------------
    def pods(self, ns: str, label: str, value: str) -> list[dict[str, Any]]:
        return [p for p in self.store.in_collection(collection_of("Pod", ns))
                if p["metadata"].get("labels", {}).get(label) == value]

    def _new_pod(self, ns: str, base: str, template: dict[str, Any],
                 labels: dict[str, str]) -> None:
        meta = {"name": f"{base}-{next(self._ids):05x}", "namespace": ns,
                "labels": {**template["metadata"].get("labels", {}), **labels}}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
               "spec": json.loads(json.dumps(template["spec"])),
               "status": {"phase": "Pending"}}
        self.store.create(collection_of("Pod", ns), pod)

    # -- deployments -------------------------------------------------------------------------
    def _deployment(self, ns: str, dep: dict[str, Any]) -> None:
        name = dep["metadata"]["name"]
        template = dep["spec"]["template"]
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        desired = int(dep["spec"].get("replicas", 1))
        sets = [r for r in self.store.in_collection(collection_of("ReplicaSet", ns))
                if r["metadata"].get("annotations", {}).get("fake/owner") == name]
        new = self._replica_set(ns, dep, digest, sets)
        mine = self.pods(ns, HASH, digest)
        for _ in range(desired - len(mine)):
            self._new_pod(ns, new["metadata"]["name"], new["spec"]["template"], {HASH: digest})
        for pod in mine[desired:]:
            self.store.remove(collection_of("Pod", ns), pod["metadata"]["name"])
        ready_new = sum(1 for p in self.pods(ns, HASH, digest) if _ready(p))
        old_pods = [p for r in sets if r["metadata"]["labels"][HASH] != digest
                    for p in self.pods(ns, HASH, r["metadata"]["labels"][HASH])]
        if ready_new >= desired:
            for pod in old_pods:
                self.store.remove(collection_of("Pod", ns), pod["metadata"]["name"])
            old_pods = []
        self._status(ns, dep, digest, desired, ready_new, old_pods)

    def _replica_set(self, ns: str, dep: dict[str, Any], digest: str,
                     sets: list[dict[str, Any]]) -> dict[str, Any]:
        name = dep["metadata"]["name"]
        top = max((int(r["metadata"]["annotations"][REVISION]) for r in sets), default=0)
        current = next((r for r in sets if r["metadata"]["labels"][HASH] == digest), None)
        if current is not None and int(current["metadata"]["annotations"][REVISION]) == top:
            return current
        template = json.loads(json.dumps(dep["spec"]["template"]))
        template["metadata"].setdefault("labels", {})[HASH] = digest
        rs = current or {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                         "metadata": {"name": f"{name}-{digest}", "namespace": ns,
                                      "labels": dict(template["metadata"]["labels"]),
                                      "annotations": {"fake/owner": name}},
                         "spec": {"replicas": dep["spec"].get("replicas", 1),
                                  "template": template}}
        rs["metadata"]["annotations"][REVISION] = str(top + 1)
        self._started[(ns, rs["metadata"]["name"])] = time.monotonic()
        if current is None:
            self.store.create(collection_of("ReplicaSet", ns), rs)
        else:
            self.store.put(collection_of("ReplicaSet", ns), rs)
        return rs

    def _status(self, ns: str, dep: dict[str, Any], digest: str, desired: int,
                ready_new: int, old_pods: list[dict[str, Any]]) -> None:
        name = dep["metadata"]["name"]
        new_pods = self.pods(ns, HASH, digest)
        ready = ready_new + sum(1 for p in old_pods if _ready(p))
        started = self._started.get((ns, f"{name}-{digest}"), time.monotonic())
        deadline = int(dep["spec"].get("progressDeadlineSeconds", 600)) * self.deadline_scale
        if ready_new >= desired and not old_pods:
            progressing = ("True", "NewReplicaSetAvailable")
        elif time.monotonic() - started > deadline:
            progressing = ("False", "ProgressDeadlineExceeded")
        else:
            progressing = ("True", "ReplicaSetUpdated")
        status = {"observedGeneration": dep["metadata"].get("generation", 1),
                  "replicas": len(new_pods) + len(old_pods), "updatedReplicas": len(new_pods),
                  "readyReplicas": ready, "availableReplicas": ready,
                  "conditions": [{"type": "Progressing", "status": progressing[0],
                                  "reason": progressing[1]}]}
        if dep.get("status") != status:
            dep["status"] = status
            self.store.put(collection_of("Deployment", ns), dep)

    # -- jobs and the kubelet -------------------------------------------------------------
    def _job(self, ns: str, job: dict[str, Any]) -> None:
        name = job["metadata"]["name"]
        pods = self.pods(ns, "job-name", name)
        if not pods and not job.get("status"):
            self._new_pod(ns, name, job["spec"]["template"], {"job-name": name})
            job["status"] = {"active": 1, "startTime": now()}
            self.store.put(collection_of("Job", ns), job)
            return
        phases = [p["status"]["phase"] for p in pods]
        if "Succeeded" in phases or "Failed" in phases:
            ok = "Succeeded" in phases
            kind = "Complete" if ok else "Failed"
            status = {"succeeded" if ok else "failed": 1, "startTime": job["status"]["startTime"],
                      "conditions": [{"type": kind, "status": "True"}]}
            if job.get("status") != status:
                job["status"] = status
                self.store.put(collection_of("Job", ns), job)

    def _kubelet(self, pod: dict[str, Any]) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        image = pod["spec"]["containers"][0]["image"]
        status = pod["status"]
        old = json.dumps(status, sort_keys=True)
        if pod["spec"].get("restartPolicy") == "Never":
            self._job_pod(pod, image)
        elif status["phase"] == "Pending":
            status.update(phase="Running", startTime=now())
            self.fake.logs[name] = f"{name}: starting {image}\n"
        else:
            release = pod["metadata"]["labels"].get("dockyard.dev/deployment", "")
            self._service_pod(pod, self.behaviours.get(image) or self.behaviours.get(release)
                              or self._env_behaviour(pod) or "ready")
        if json.dumps(status, sort_keys=True) != old:
            self.store.put(collection_of("Pod", ns), pod)

    def _env_behaviour(self, pod: dict[str, Any]) -> str | None:
        """``FAKE_POD_BEHAVIOUR`` from the container's env or its ConfigMaps."""
        ns, container = pod["metadata"]["namespace"], pod["spec"]["containers"][0]
        for entry in container.get("env") or []:
            if entry.get("name") == ENV_BEHAVIOUR and "value" in entry:
                return str(entry["value"])
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef") or {}
            config = self.store.objects.get((collection_of("ConfigMap", ns), ref.get("name")))
            value = ((config or {}).get("data") or {}).get(ENV_BEHAVIOUR)
            if value:
                return str(value)
        return None

    def _service_pod(self, pod: dict[str, Any], behaviour: str) -> None:
        status, name = pod["status"], pod["metadata"]["name"]
        container = {"name": pod["spec"]["containers"][0]["name"], "restartCount": 0,
                     "ready": behaviour == "ready", "state": {"running": {}}}
        previous = (status.get("containerStatuses") or [container])[0]
        if behaviour == "crash":
            restarts = int(previous["restartCount"]) + 1
            container.update(restartCount=min(restarts, 50), state={"waiting": {
                "reason": "CrashLoopBackOff"}})
            self.fake.logs[name] = self.fake.logs.get(name, "") + \
                "Traceback (most recent call last):\nRuntimeError: boom\n"
        status["containerStatuses"] = [container]
        status["conditions"] = [{"type": "Ready",
                                 "status": "True" if container["ready"] else "False"}]

    def _job_pod(self, pod: dict[str, Any], image: str) -> None:
        status, name = pod["status"], pod["metadata"]["name"]
        if status["phase"] == "Pending":
            status["phase"] = "Running"
            return
        if status["phase"] == "Running":
            ok, log = self.job_results.get(image, (True, "job done\n"))
            self.fake.logs[name] = log
            status["phase"] = "Succeeded" if ok else "Failed"


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in pod["status"].get("conditions", []))
