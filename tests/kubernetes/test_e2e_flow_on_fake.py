"""The real-cluster e2e test's own steps, run here against the FAKE API server: images
really built (buildah, the mmdebstrap base) and pushed to a local registry, the runtime's
calls really made over HTTP. What it cannot show is a real kubelet pulling and running
them; ``test_cluster_e2e.py`` does, when a cluster is given."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.kubernetes.test_cluster_e2e as e2e
from dockyard.buildpacks.images import Buildah
from tests.images.conftest import Registry, base_image, buildah, local_registry  # noqa: F401
from tests.kubernetes.conftest import FakeCluster

pytestmark = pytest.mark.slow


def test_the_e2e_steps_pass_against_the_fake_api_server(
        buildah: Buildah, base_image: str, local_registry: Registry,  # noqa: F811
        fake_cluster: FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cluster.controllers.behaviours["r3"] = "crash"   # the release built to crash
    monkeypatch.setattr(e2e, "KUBECONFIG", str(fake_cluster.kubeconfig))
    monkeypatch.setattr(e2e, "REGISTRY", f"{local_registry.host}/dy")
    monkeypatch.setattr(e2e, "INSECURE", True)
    e2e.test_the_lifecycle_on_a_real_cluster(buildah, base_image, tmp_path)
    pushed = [c for c in fake_cluster.api.calls if c.method == "PATCH"
              and c.path.endswith("/deployments/web")
              and c.content_type == "application/apply-patch+yaml"]
    images = [c.body["spec"]["template"]["spec"]["containers"][0]["image"] for c in pushed]
    assert len(images) == 4 and images[3] == images[0], "r4 is r1's image, by digest"
    assert all(f"{local_registry.host}/dy/" in i and "@sha256:" in i for i in images)
    assert [c.path for c in fake_cluster.api.calls if c.method == "DELETE"
            and "/namespaces/" in c.path][-1].startswith("/api/v1/namespaces/dockyard-dy-e2e-")
