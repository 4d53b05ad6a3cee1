"""The Kubernetes runtime against the FAKE API server: the real client, real HTTP, watched
rollouts. Each test asserts the calls made and the phases that resulted."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.appspec import load_spec
from dockyard.logs import Log, null_log
from dockyard.runtime import Instance, Launch, State
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.rollout import RolloutFailed
from tests.kubernetes.conftest import FakeCluster

pytestmark = pytest.mark.slow   # starts the fake API server (in process, over HTTP)

SPEC = load_spec("""
name: shop
services:
- name: web
  github: {repo: acme/shop}
  run_command: gunicorn shop.wsgi
  instance_count: 2
  health_check: {http_path: /health}
  envs:
  - {key: TOKEN, type: SECRET, value: top-secret-value}
jobs:
- name: migrate
  kind: PRE_DEPLOY
  github: {repo: acme/shop}
  run_command: python manage.py migrate
- name: notify
  kind: POST_DEPLOY
  github: {repo: acme/shop}
  run_command: ./notify
- name: cleanup
  kind: FAILED_DEPLOY
  github: {repo: acme/shop}
  run_command: ./cleanup
""").spec
APP_ID = "a1b2c3d4-0000-4000-8000-00000000000a"
NS = "dockyard-shop"


def images(digest: str) -> dict[str, str]:
    return {c: f"registry.example.com/dy/shop/{c}@sha256:{digest * 64}"
            for c in ("web", "migrate", "notify", "cleanup")}


def deploy(fc: FakeCluster, release: str, digest: str, log: Log | None = None) -> list[str]:
    target = fc.runtime.target("shop", APP_ID, release, images=images(digest))
    return fc.runtime.deploy(SPEC, target, log or null_log())


def serving(fc: FakeCluster) -> dict[str, State]:
    """Pods of the app as ``release/index: state``."""
    return {f"{i.deployment_id}/{i.index}": s for i, s in fc.runtime.instances(APP_ID)
            if i.component == "web"}


def web_image(fc: FakeCluster) -> str:
    dep = fc.api.get("Deployment", NS, "web")
    assert dep is not None
    image: str = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def test_a_release_goes_through_the_phases_to_active(fc: FakeCluster, tmp_path: Any) -> None:
    log = logs(tmp_path / "deploy.log")
    assert deploy(fc, "r1", "a", log) == ["PENDING_DEPLOY", "DEPLOYING", "ACTIVE"]
    assert serving(fc) == {"r1/0": State.RUNNING, "r1/1": State.RUNNING}
    assert web_image(fc).endswith("@sha256:" + "a" * 64)
    applies = [c for c in fc.api.calls if c.method == "PATCH"
               and c.content_type == "application/apply-patch+yaml"]
    assert {c.query["fieldManager"] for c in applies} == {"dockyard"}
    applied = [c.path.rsplit("/", 2)[-2] for c in applies]
    assert applied.index("jobs") < applied.index("deployments") < applied.index("ingresses")
    watched = {c.path.rsplit("/", 1)[-1] for c in fc.api.watches()}
    assert {"deployments", "jobs"} <= watched, "rollouts and jobs are watched, not polled"
    text = (tmp_path / "deploy.log").read_text()
    assert "web: 2 of 2 pods ready" in text, "the rollout's status, from the watch"
    assert "Job 'migrate-r1' succeeded" in text and "Job 'notify-r1' succeeded" in text
    assert "top-secret-value" not in text


def test_a_second_release_replaces_the_pods_in_place(fc: FakeCluster) -> None:
    deploy(fc, "r1", "a")
    assert deploy(fc, "r2", "b")[-1] == "ACTIVE"
    assert serving(fc) == {"r2/0": State.RUNNING, "r2/1": State.RUNNING}
    assert [d["metadata"]["name"] for d in fc.api.all("Deployment", NS)] == ["web"]
    assert len(fc.api.all("ReplicaSet", NS)) == 2


@pytest.mark.parametrize("behaviour", ["crash", "unready"])
def test_a_failed_rollout_is_rolled_back_and_the_old_release_serves(
        fc: FakeCluster, behaviour: str, tmp_path: Any) -> None:
    deploy(fc, "r1", "a")
    fc.controllers.behaviours[images("c")["web"]] = behaviour
    log = logs(tmp_path / "deploy.log")
    with pytest.raises(RolloutFailed) as failed:
        deploy(fc, "r2", "c", log)
    phases = [line.split(":")[0].removeprefix("-----> ") for line in
              (tmp_path / "deploy.log").read_text().splitlines() if line.startswith("-----> ")
              and line.split(":")[0].removeprefix("-----> ").isupper()]
    assert phases == ["PENDING_DEPLOY", "DEPLOYING", "ERROR"]
    assert failed.value.code == "deploy.rollout_failed"
    assert web_image(fc).endswith("@sha256:" + "a" * 64), "the Deployment is back on r1"
    assert serving(fc) == {"r1/0": State.RUNNING, "r1/1": State.RUNNING}
    undo = [c for c in fc.api.writes("/deployments/web")
            if c.content_type == "application/merge-patch+json"]
    assert len(undo) == 1 and "template" in undo[0].body["spec"]
    text = (tmp_path / "deploy.log").read_text()
    assert "Job 'cleanup-r2' succeeded" in text, "FAILED_DEPLOY jobs ran"
    if behaviour == "crash":
        assert "crash-looping" in text and "RuntimeError: boom" in text
    else:
        assert "progress deadline" in text


def test_a_failing_pre_deploy_job_leaves_the_deployment_untouched(fc: FakeCluster,
                                                                   tmp_path: Any) -> None:
    deploy(fc, "r1", "a")
    fc.controllers.job_results[images("d")["migrate"]] = (False, "django.db.utils.Error\n")
    before = len(fc.api.writes("/deployments"))
    log = logs(tmp_path / "deploy.log")
    with pytest.raises(RolloutFailed, match="PRE_DEPLOY job 'migrate-r2' failed"):
        deploy(fc, "r2", "d", log)
    assert len(fc.api.writes("/deployments")) == before
    assert serving(fc) == {"r1/0": State.RUNNING, "r1/1": State.RUNNING}
    assert "django.db.utils.Error" in (tmp_path / "deploy.log").read_text()


def test_configuration_of_releases_nothing_refers_to_is_pruned(fc: FakeCluster) -> None:
    deploy(fc, "r1", "a")
    deploy(fc, "r2", "b")
    assert {c["metadata"]["name"] for c in fc.api.all("ConfigMap", NS)} >= {"web-env-r1"}
    first = next(r for r in fc.api.all("ReplicaSet", NS)
                 if r["spec"]["template"]["metadata"]["labels"][names.RELEASE] == "r1")
    with fc.api.store.cond:   # as when Kubernetes drops a ReplicaSet past the history limit
        fc.api.store.remove(f"/apis/apps/v1/namespaces/{NS}/replicasets",
                            first["metadata"]["name"])
    deploy(fc, "r3", "c")
    secrets = {s["metadata"]["name"] for s in fc.api.all("Secret", NS)}
    assert "web-secret-r1" not in secrets
    assert {"web-secret-r2", "web-secret-r3"} <= secrets, "r2 can still be rolled back to"


def test_rollback_to_a_kept_release_deploys_its_image_digest(fc: FakeCluster) -> None:
    deploy(fc, "r1", "a")
    deploy(fc, "r2", "b")
    assert deploy(fc, "r3", "a")[-1] == "ACTIVE"   # r1's images again, no build
    assert web_image(fc).endswith("@sha256:" + "a" * 64)
    assert serving(fc) == {"r3/0": State.RUNNING, "r3/1": State.RUNNING}


def test_run_logs_instances_and_a_rollout_restart(fc: FakeCluster, tmp_path: Any) -> None:
    deploy(fc, "r1", "a")
    inst = Instance(APP_ID, "r1", "web", 1, 8080)
    assert fc.runtime.state(inst) == State.RUNNING
    assert fc.runtime.log_lines(inst, 5)[0].startswith("web-")
    assert fc.runtime.files(inst) is None
    pods_before = {p["metadata"]["name"] for p in fc.api.all("Pod", NS)
                   if "job-name" not in p["metadata"]["labels"]}
    fc.runtime.restart(APP_ID, logs(tmp_path / "restart.log"), ["web"])
    restarts = [c for c in fc.api.writes("/deployments/web") if c.method == "PATCH"
                and c.content_type == "application/merge-patch+json"]
    annotations = restarts[-1].body["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    pods_after = {p["metadata"]["name"] for p in fc.api.all("Pod", NS)
                  if "job-name" not in p["metadata"]["labels"]}
    assert pods_after and not pods_after & pods_before
    assert serving(fc) == {"r1/0": State.RUNNING, "r1/1": State.RUNNING}
    console = fc.runtime.console(inst, Launch(app_dir=tmp_path, command="", env={}))
    assert console[:3] == ["kubectl", "--kubeconfig", str(fc.kubeconfig)]
    assert console[3:8] == ["-n", NS, "exec", "-it", sorted(pods_after)[1]]


def test_deleting_the_app_deletes_its_namespace(fc: FakeCluster) -> None:
    deploy(fc, "r1", "a")
    fc.runtime.remove_app(APP_ID)
    deletes = [c for c in fc.api.calls if c.method == "DELETE"]
    assert [c.path for c in deletes] == [f"/api/v1/namespaces/{NS}"]
    assert fc.api.all("Pod", NS) == [] and fc.api.all("Deployment", NS) == []
    assert fc.api.get("Namespace", None, NS) is None


def test_the_protocol_calls_start_run_jobs_and_stop(fc: FakeCluster, tmp_path: Any) -> None:
    launch = Launch(app_dir=tmp_path, command="gunicorn app:app", env={"TOKEN": "v", "PATH": "/x"},
                    sealed=("TOKEN",), image="registry.example.com/dy/p/web@sha256:" + "e" * 64,
                    labels={"app": "proto"})
    insts = [Instance(APP_ID, "d1", "web", i, 8080) for i in range(2)]
    fc.runtime.start([(i, launch) for i in insts])
    ns = names.namespace("proto")
    dep = fc.api.get("Deployment", ns, "web")
    assert dep is not None and dep["spec"]["replicas"] == 2
    secret = fc.api.get("Secret", ns, "web-launch-d1")
    assert secret is not None and secret["stringData"] == {"TOKEN": "v", "PORT": "8080"}
    from tests.conftest import wait_for
    wait_for(lambda: all(fc.runtime.state(i) == State.RUNNING for i in insts), "pods running")
    job = Launch(app_dir=tmp_path, command="./once", env={}, kind="job",
                 image="registry.example.com/dy/p/job@sha256:" + "f" * 64, labels={"app": "proto"})
    fc.controllers.job_results[job.image or ""] = (True, "once done\n")
    log = logs(tmp_path / "job.log")
    fc.runtime.run_job(Instance(APP_ID, "d1", "once", 0, None), job, log, timeout=30)
    assert "once done" in (tmp_path / "job.log").read_text()
    fc.runtime.stop(insts)   # the release the Deployment runs, with no earlier one
    assert fc.api.get("Deployment", ns, "web") is None


def test_a_release_without_an_image_is_refused_clearly(fc: FakeCluster, tmp_path: Any) -> None:
    launch = Launch(app_dir=tmp_path, command="x", env={}, labels={"app": "proto"})
    with pytest.raises(Exception, match="the release has no image"):
        fc.runtime.start([(Instance(APP_ID, "d1", "web", 0, 8080), launch)])


@pytest.fixture
def fc(fake_cluster: FakeCluster) -> FakeCluster:
    return fake_cluster


OPEN: list[Log] = []


def logs(path: Any) -> Log:
    log = Log(path)
    OPEN.append(log)
    return log


@pytest.fixture(autouse=True)
def close_logs() -> Any:
    yield
    while OPEN:
        OPEN.pop().close()
