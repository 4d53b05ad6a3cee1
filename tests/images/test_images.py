"""Releases as OCI images: a cached mmdebstrap base, a buildpack release layered onto it and
run with buildah (chroot isolation), pushed to a local registry and pulled back by digest."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.buildpacks.envcache import uv_bin
from dockyard.buildpacks.images import (
    BaseImage,
    Buildah,
    ReleaseFiles,
    ensure_base_image,
    push,
    release_image,
)
from dockyard.logs import Log
from tests.images.conftest import Registry, image_cache

pytestmark = pytest.mark.slow


@pytest.fixture
def log(tmp_path: Path):  # type: ignore[no-untyped-def]
    log = Log(tmp_path / "image.log")
    yield log
    log.close()


def python_release(tmp_path: Path) -> ReleaseFiles:
    """A release as the Python buildpack leaves it: app files and a relocatable venv."""
    app = tmp_path / "release" / "app"
    app.mkdir(parents=True)
    (app / "app.py").write_text("print('hello from the release')\n")
    venv = tmp_path / "release" / "venv"
    subprocess.run([uv_bin(), "venv", "--quiet", "--relocatable", "--no-project",
                    "--python", "/usr/bin/python3", str(venv)], check=True,
                   env={"PATH": "/usr/bin:/bin", "UV_PYTHON_DOWNLOADS": "never",
                        "HOME": str(tmp_path)})
    return ReleaseFiles(app_dir=app, venv=venv, run_command="python app.py",
                        labels={"dev.dockyard.component": "web"})


def test_the_base_image_is_built_once_and_then_reused(buildah: Buildah, base_image: str,
                                                      log: Log, tmp_path: Path) -> None:
    assert buildah.exists(base_image)
    again = ensure_base_image(buildah, BaseImage(), image_cache() / "rootfs", log)
    assert again == base_image
    assert "(cached)" in (tmp_path / "image.log").read_text()
    assert "mmdebstrap" not in (tmp_path / "image.log").read_text()


def test_a_python_release_runs_in_its_image_and_round_trips_a_registry(
        buildah: Buildah, base_image: str, local_registry: Registry, log: Log,
        tmp_path: Path) -> None:
    files = python_release(tmp_path)
    image = release_image(buildah, base_image, files, "localhost/shop/web:r1", log)
    out = buildah.run_in(image, ["/bin/bash", "-c",
                                 "python app.py; echo prefix=$(python -c "
                                 "'import sys; print(sys.prefix)') cwd=$(pwd)"], log)
    assert "hello from the release" in out
    assert f"prefix={files.venv} cwd=/workspace" in out
    ref = push(buildah, image, f"{local_registry.host}/shop/web:r1", log, tls_verify=False)
    repo, digest = ref.split("@")
    assert repo == f"{local_registry.host}/shop/web" and digest.startswith("sha256:")
    status, manifest = local_registry.manifest("shop/web", digest)
    assert status == 200 and manifest["layers"]
    fresh = Buildah(root=tmp_path / "pull-storage", runroot=tmp_path / "pull-run")
    fresh.run("pull", "--tls-verify=false", f"docker://{ref}", log=log, what="pull")
    assert fresh.exists(ref)
    assert "hello from the release" in fresh.run_in(ref, ["python", "app.py"], log)


def test_a_static_site_image_serves_with_a_checked_nginx_config(
        buildah: Buildah, base_image: str, log: Log, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>docs</h1>\n")
    files = ReleaseFiles(site_dir=site, catchall_document="index.html")
    image = release_image(buildah, base_image, files, "localhost/shop/docs:r1", log)
    out = buildah.run_in(image, ["/bin/bash", "-c",
                                 "nginx -t -c /etc/dockyard/site.conf 2>&1; "
                                 "cat /workspace/site/index.html"], log)
    assert any("test is successful" in line for line in out), out
    assert "<h1>docs</h1>" in out
