"""The whole lifecycle on a REAL cluster: runs only when ``DOCKYARD_TEST_KUBECONFIG`` is set
(and ``DOCKYARD_TEST_REGISTRY``, a registry this machine pushes to and the cluster pulls
from; ``DOCKYARD_TEST_REGISTRY_INSECURE=1`` for plain HTTP). Otherwise it is skipped, and
pytest's summary (``-ra``) prints that it was.

Images are built here (buildah, the mmdebstrap base), pushed, deployed with the Kubernetes
runtime; then a second release, a crashing release rolled back, a rollback by digest, a
restart, and the app deleted.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from dockyard.appspec import load_spec
from dockyard.buildpacks.images import Buildah, ReleaseFiles, publish
from dockyard.logs import Log
from dockyard.runtime import State
from dockyard.runtime.kubernetes.client import Cluster
from dockyard.runtime.kubernetes.rollout import RolloutFailed
from dockyard.runtime.kubernetes.runtime import KubernetesRuntime, KubeSettings
from tests.conftest import wait_for
from tests.images.conftest import base_image, buildah  # noqa: F401 - fixtures

KUBECONFIG = os.environ.get("DOCKYARD_TEST_KUBECONFIG", "")
REGISTRY = os.environ.get("DOCKYARD_TEST_REGISTRY", "")
INSECURE = os.environ.get("DOCKYARD_TEST_REGISTRY_INSECURE") == "1"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not KUBECONFIG, reason="DOCKYARD_TEST_KUBECONFIG is not set: the real-cluster e2e test "
                           "was skipped (no Kubernetes cluster here)")]

SERVER = """import http.server, os, sys
if os.environ.get("CRASH"):
    sys.exit("crashing on purpose")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"%s\\n")
print("serving", flush=True)
http.server.ThreadingHTTPServer(("", int(os.environ["PORT"])), H).serve_forever()
"""
SPEC = """
name: {name}
services:
- name: web
  github: {{repo: example/e2e}}
  run_command: python3 server.py
  instance_count: 2
  health_check: {{http_path: /}}
"""


def release(tmp: Path, text: str, crash: bool = False) -> ReleaseFiles:
    app = tmp / text / "app"
    app.mkdir(parents=True)
    (app / "server.py").write_text(("import os\nos.environ['CRASH'] = '1'\n" if crash else "")
                                   + SERVER % text)
    return ReleaseFiles(app_dir=app)


def test_the_lifecycle_on_a_real_cluster(buildah: Buildah, base_image: str,  # noqa: F811
                                         tmp_path: Path) -> None:
    assert REGISTRY, "set DOCKYARD_TEST_REGISTRY to a registry the cluster can pull from"
    name = f"dy-e2e-{uuid.uuid4().hex[:6]}"
    app_id = str(uuid.uuid4())
    spec = load_spec(SPEC.format(name=name)).spec
    log = Log(tmp_path / "e2e.log", echo=None)
    runtime = KubernetesRuntime(Cluster.from_kubeconfig(KUBECONFIG), KubeSettings(
        kubeconfig=KUBECONFIG, registry=REGISTRY, cluster_issuer="", rollout_timeout=300))
    images = {r: publish(buildah, base_image, {"web": release(tmp_path, r, crash=r == "r3")},
                         REGISTRY, name, r, log, tls_verify=not INSECURE)
              for r in ("r1", "r2", "r3")}
    try:
        for rel in ("r1", "r2"):
            phases = runtime.deploy(spec, runtime.target(name, app_id, rel, images=images[rel]),
                                    log)
            assert phases == ["PENDING_DEPLOY", "DEPLOYING", "ACTIVE"]
        with pytest.raises(RolloutFailed):
            runtime.deploy(spec, runtime.target(name, app_id, "r3", images=images["r3"]), log)
        running = [(i.deployment_id, s) for i, s in runtime.instances(app_id)]
        assert ("r2", State.RUNNING) in running, running
        phases = runtime.deploy(spec, runtime.target(name, app_id, "r4", images=images["r1"]),
                                log)
        assert phases[-1] == "ACTIVE"
        wait_for(lambda: runtime.log_lines(runtime.instances(app_id)[0][0], 5),
                 "run log lines from a pod", timeout=60)
        runtime.restart(app_id, log)
    finally:
        runtime.remove_app(app_id)
        log.close()
