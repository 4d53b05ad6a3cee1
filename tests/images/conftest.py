"""Fixtures for images, reusable by any test that builds, pushes or pulls one:

- ``buildah``: buildah with a storage of its own under the image cache (never the system's);
- ``base_image``: a Debian base made with mmdebstrap from the Debian mirror and imported
  into that storage once; later runs reuse it (``DOCKYARD_IMAGE_CACHE``, default
  ``/var/tmp/dockyard-test-images``);
- ``local_registry``: Debian's ``docker-registry`` on 127.0.0.1 on a free port, with its
  storage in the test's temp dir, stopped by pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.buildpacks.images import BaseImage, Buildah, ensure_base_image
from dockyard.locks import file_lock
from dockyard.logs import Log
from dockyard.settings import free_port
from tests.conftest import wait_for


def image_cache() -> Path:
    return Path(os.environ.get("DOCKYARD_IMAGE_CACHE", "/var/tmp/dockyard-test-images"))


@pytest.fixture(scope="session")
def buildah() -> Buildah:
    cache = image_cache()
    return Buildah(root=cache / "storage", runroot=cache / "run")


@pytest.fixture(scope="session")
def base_image(buildah: Buildah, tmp_path_factory: pytest.TempPathFactory) -> str:
    log = Log(tmp_path_factory.mktemp("base") / "base.log")
    try:  # one maker at a time: test workers (pytest-xdist) share the cache
        with file_lock(image_cache() / "base.lock"):
            return ensure_base_image(buildah, BaseImage(), image_cache() / "rootfs", log)
    finally:
        log.close()


@dataclass
class Registry:
    host: str              # 127.0.0.1:<port>
    pid: int

    def manifest(self, repo: str, reference: str) -> tuple[int, dict[str, object]]:
        req = urllib.request.Request(
            f"http://{self.host}/v2/{repo}/manifests/{reference}",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                               "application/vnd.docker.distribution.manifest.v2+json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def running_registry(root: Path) -> Iterator[Registry]:
    """Debian's docker-registry on 127.0.0.1 (a free port), its storage under ``root``; stopped
    by pid when the block ends."""
    port = free_port()
    config = root / "registry.json"   # JSON is YAML: the registry reads it as its config
    config.write_text(json.dumps({
        "version": 0.1, "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(root / "registry-data")},
                    "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"}}))
    out = (root / "registry.log").open("w")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=out,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for(lambda: proc.poll() is not None or _answers(f"http://127.0.0.1:{port}/v2/"),
                 "the local registry", timeout=30)
        assert proc.poll() is None, (root / "registry.log").read_text()
        yield Registry(f"127.0.0.1:{port}", proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


@pytest.fixture
def local_registry(tmp_path: Path) -> Iterator[Registry]:
    with running_registry(tmp_path) as registry:
        yield registry
