"""The fake API server and its fake controllers, and a runtime whose real ``kubernetes``
client reaches them through a kubeconfig over HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.runtime.kubernetes.client import Cluster
from dockyard.runtime.kubernetes.runtime import KubernetesRuntime, KubeSettings
from tests.kubernetes.fake_apiserver import FakeApiServer
from tests.kubernetes.fake_controllers import FakeControllers


@dataclass
class FakeCluster:
    api: FakeApiServer
    controllers: FakeControllers
    runtime: KubernetesRuntime
    kubeconfig: Path


@pytest.fixture
def fake_cluster(tmp_path: Path) -> Iterator[FakeCluster]:
    api = FakeApiServer().start()
    controllers = FakeControllers(api).start()
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    settings = KubeSettings(kubeconfig=str(kubeconfig), registry="registry.example.com/dy",
                            base_domain="apps.example.com", rollout_timeout=30,
                            watch_window=1)
    runtime = KubernetesRuntime(Cluster.from_kubeconfig(str(kubeconfig)), settings,
                                reveal=lambda value: value)
    try:
        yield FakeCluster(api, controllers, runtime, kubeconfig)
    finally:
        controllers.stop()
        api.stop()
