"""Dockyard itself on the FAKE cluster: the real stack (``dockyard up --runtime kubernetes``,
supervisord, the API server, deploy workers, the CLI) deploys a small app whose images are
really built and pushed to a local registry; the cluster is the fake API server with its
fake controllers (no kubelet runs the images). Each step asserts what a user sees (phases,
instances, health, logs) and the calls the fake received.

create → restart (a rollout restart) → a second commit → a crashing release (ERROR, the
previous release still the cluster's) → rollback to the first release by digest → delete.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Platform, commit, make_repo, new_platform, stop
from tests.images.conftest import (  # noqa: F401 - fixtures
    Registry,
    base_image,
    buildah,
    image_cache,
    local_registry,
)
from tests.kubernetes.conftest import FakeCluster
from tests.kubernetes.fake_controllers import ENV_BEHAVIOUR

pytestmark = pytest.mark.slow

NS = "dockyard-shipyard"
SECRET = "s3cret-token-value"
SERVER = """import http.server, os
VERSION = open("version.txt").read().strip()
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"version={VERSION}\\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
print("serving version", VERSION, flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), Handler).serve_forever()
"""
SPEC = """name: shipyard
services:
- name: web
  environment_slug: python
  github: {repo: example/shipyard, branch: main}
  run_command: python server.py
  http_port: 8080
  instance_count: 2
  health_check: {http_path: /}
  envs:
  - {key: GREETING, value: hello}
  - {key: API_TOKEN, type: SECRET, value: SECRET_VALUE}
""".replace("SECRET_VALUE", SECRET)


@dataclass
class Setup:
    dockyard: Platform
    fake: FakeCluster
    registry: Registry
    repo: Path
    spec: Path

    def json(self, *args: str, check: bool = True) -> Any:
        return self.dockyard.cli(*args, "--output", "json", check=check).json()

    def deployments(self) -> list[dict[str, Any]]:
        return self.json("apps", "list-deployments", "shipyard")

    def deployment(self, dep_id: str) -> dict[str, Any]:
        return self.json("apps", "get-deployment", "shipyard", dep_id)[0]

    def deploy_log(self, dep_id: str) -> str:
        return self.dockyard.cli("apps", "logs", "shipyard", "--type", "deploy",
                                 "--deployment", dep_id, "--tail", "-1").out

    def web(self) -> dict[str, Any]:
        """The cluster's Deployment ``web``: its pod template's image and release."""
        dep = self.fake.api.get("Deployment", NS, "web")
        assert dep is not None, "no Deployment web on the cluster"
        template = dep["spec"]["template"]
        return {"image": template["spec"]["containers"][0]["image"],
                "release": template["metadata"]["labels"]["dockyard.dev/deployment"],
                "annotations": template["metadata"].get("annotations") or {}}

    def pods(self) -> dict[str, bool]:
        """Pods of web on the cluster: release/name → ready."""
        return {f"{p['metadata']['labels']['dockyard.dev/deployment']}/{p['metadata']['name']}":
                any(c["type"] == "Ready" and c["status"] == "True"
                    for c in p["status"].get("conditions", []))
                for p in self.fake.api.all("Pod", NS)
                if p["metadata"]["labels"].get("dockyard.dev/component") == "web"}


@pytest.fixture
def setup(fake_cluster: FakeCluster, local_registry: Registry,  # noqa: F811
          base_image: str,  # noqa: F811
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """A Dockyard whose runtime is the fake cluster, whose images go to the local registry,
    and whose image store is the tests' (the base image is made once for all tests). Its
    home is short: the sockets under it have a length limit."""
    tmp_path = tmp_path_factory.mktemp("k8s")
    dockyard = new_platform(tmp_path, DOCKYARD_PUSH_POLL_SECONDS="0",
                            DOCKYARD_IMAGE_STORE=str(image_cache()))
    repo = make_repo(tmp_path / "shipyard", write_app(tmp_path / "src"))
    dockyard.map_url("https://github.com/example/shipyard.git", repo)
    spec = tmp_path / "app.yaml"
    spec.write_text(SPEC)
    dockyard.cli("up", "--runtime", "kubernetes", "--kubeconfig", str(fake_cluster.kubeconfig),
                 "--image-registry", f"{local_registry.host}/dy", "--insecure-registry")
    try:
        yield Setup(dockyard, fake_cluster, local_registry, repo, spec)
    finally:
        stop(dockyard)


def write_app(folder: Path) -> Path:
    folder.mkdir()
    (folder / "server.py").write_text(SERVER)
    (folder / "version.txt").write_text("1\n")
    (folder / "requirements.txt").write_text("# the standard library is enough\n")
    (folder / ".python-version").write_text("3.11.2\n")  # bookworm's: the base image has it
    return folder


def phases_in(log: str) -> list[str]:
    """The phases the deploy log went through (``-----> Phase X (was Y)``)."""
    return [line.split("Phase ", 1)[1].split()[0] for line in log.splitlines()
            if "-----> Phase " in line]


def test_dockyard_deploys_to_the_fake_cluster(setup: Setup) -> None:
    first = create(setup)
    restarted = restart(setup, first)
    second = second_commit(setup, restarted)
    crash(setup, second)
    rollback(setup, first, second)
    delete(setup)


def create(s: Setup) -> dict[str, Any]:
    """``apps create``: built, published by digest, rolled out, ACTIVE."""
    app = s.dockyard.deploy_spec(s.spec).json()[0]
    (dep,) = s.deployments()
    assert dep["phase"] == "ACTIVE", dep
    progress = dep["progress"]
    assert progress["success_steps"] == progress["total_steps"], progress
    assert phases_in(s.deploy_log(dep["id"])) == [
        "BUILDING", "PENDING_DEPLOY", "DEPLOYING", "ACTIVE"]
    image = dep["dockyard"]["images"]["web"]
    repo, digest = image.split("@")
    assert repo == f"{s.registry.host}/dy/shipyard/web" and digest.startswith("sha256:")
    assert s.registry.manifest("dy/shipyard/web", digest)[0] == 200, "pushed by digest"
    assert s.web()["image"] == image and s.web()["release"] == dep["id"]
    secrets = s.fake.api.all("Secret", NS)
    assert any((x.get("stringData") or {}).get("API_TOKEN") == SECRET for x in secrets)
    assert SECRET not in json.dumps(s.fake.api.all("ConfigMap", NS))
    assert SECRET not in json.dumps(s.fake.api.get("Deployment", NS, "web"))
    instances = s.json("apps", "list-instances", "shipyard")
    assert sorted((i["component_name"], i["component_type"], i["instance_alias"])
                  for i in instances) == [("web", "SERVICE", "web-0"), ("web", "SERVICE", "web-1")]
    health = s.dockyard.request("GET", f"/v2/apps/{app['id']}/health").body
    (web,) = health["app_health"]["components"]
    assert (web["state"], web["replicas_ready"], web["replicas_desired"]) == ("HEALTHY", 2, 2)
    run_log = s.dockyard.cli("apps", "logs", "shipyard", "web", "--type", "run").out
    assert f"starting {image}" in run_log, run_log   # the fake kubelet's line, from the pods
    return dep


def restart(s: Setup, first: dict[str, Any]) -> dict[str, Any]:
    """``apps restart``: a rollout restart of the same image; no new build."""
    dep = s.json("apps", "restart", "shipyard", "--wait")[0]
    assert dep["phase"] == "ACTIVE" and dep["cloned_from"] == first["id"]
    assert s.deployment(first["id"])["phase"] == "SUPERSEDED"
    patches = [c for c in s.fake.api.calls if c.method == "PATCH" and
               c.path == f"/apis/apps/v1/namespaces/{NS}/deployments/web" and
               c.content_type == "application/merge-patch+json"]
    assert len(patches) == 1, [c.body for c in patches]
    assert "kubectl.kubernetes.io/restartedAt" in s.web()["annotations"]
    assert s.web()["image"] == first["dockyard"]["images"]["web"]
    return dep


def second_commit(s: Setup, restarted: dict[str, Any]) -> dict[str, Any]:
    sha = commit(s.repo, {"version.txt": "2\n"})
    dep = s.json("apps", "create-deployment", "shipyard", "--wait")[0]
    assert dep["phase"] == "ACTIVE" and dep["services"][0]["source_commit_hash"] == sha
    assert s.deployment(restarted["id"])["phase"] == "SUPERSEDED"
    assert s.web()["image"] == dep["dockyard"]["images"]["web"]
    assert s.web()["release"] == dep["id"]
    assert dep["dockyard"]["images"]["web"] != restarted["dockyard"]["images"]["web"]
    return dep


def crash(s: Setup, second: dict[str, Any]) -> None:
    """A release whose pods crash: ERROR with the reason; the second release still serves."""
    crashing = s.spec.with_name("crash.yaml")
    crashing.write_text(SPEC + f"  - {{key: {ENV_BEHAVIOUR}, value: crash}}\n")
    result = s.dockyard.cli("apps", "update", "shipyard", "--spec", str(crashing), "--wait",
                            check=False)
    assert result.code != 0 and "ERROR" in result.err, result.err
    failed = s.deployments()[0]
    assert failed["phase"] == "ERROR", failed
    assert failed["error"]["code"] == "deploy.rollout_failed", failed["error"]
    log = s.deploy_log(failed["id"])
    assert phases_in(log) == ["BUILDING", "PENDING_DEPLOY", "DEPLOYING", "ERROR"], log
    assert f"web: rolled back; release {second['id']} serves" in log, log
    assert s.deployment(second["id"])["phase"] == "ACTIVE"
    assert s.web()["image"] == second["dockyard"]["images"]["web"]
    assert s.web()["release"] == second["id"]
    pods = s.pods()
    assert all(pods.values()) and {k.split("/")[0] for k in pods} == {second["id"]}, pods


def rollback(s: Setup, first: dict[str, Any], second: dict[str, Any]) -> None:
    """``apps rollback`` to the first release: its image again, by digest, no rebuild."""
    dep = s.json("apps", "rollback", "shipyard", first["id"], "--wait")[0]
    assert dep["phase"] == "ACTIVE" and dep["cloned_from"] == first["id"]
    assert dep["dockyard"]["images"] == first["dockyard"]["images"]
    assert s.web()["image"] == first["dockyard"]["images"]["web"]
    assert s.web()["release"] == dep["id"]
    assert "(kept, by digest; no rebuild)" in s.deploy_log(dep["id"])
    assert s.deployment(second["id"])["phase"] == "SUPERSEDED"
    assert [d["phase"] for d in s.deployments()] == [
        "ACTIVE", "ERROR", "SUPERSEDED", "SUPERSEDED", "SUPERSEDED"]


def delete(s: Setup) -> None:
    s.dockyard.cli("apps", "delete", "shipyard", "--force")
    deletes = [c.path for c in s.fake.api.calls if c.method == "DELETE"]
    assert deletes[-1] == f"/api/v1/namespaces/{NS}", deletes
    assert s.fake.api.get("Namespace", None, NS) is None
    assert s.fake.api.all("Deployment", NS) == []
