"""Dockerfile builds and ``image`` sources, end to end through the real ``dockyard up``.

No registry on the internet is reachable here, so ``docker.io`` is mapped to a local registry
(Debian's docker-registry on 127.0.0.1, ``settings.registry_mirrors``) that holds a Debian base
made with mmdebstrap as ``python:3.12-slim``. The apps and their specs are unmodified: the same
Dockerfiles build on DigitalOcean from Docker Hub.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.buildpacks.images import Buildah
from tests.conftest import wait_for
from tests.e2e.conftest import (
    APPS,
    Platform,
    build_log,
    commit,
    deploy_app,
    get,
    make_repo,
    new_platform,
    stop,
)
from tests.e2e.load import LoadLoop
from tests.images.conftest import Registry, base_image, buildah, running_registry  # noqa: F401

pytestmark = pytest.mark.slow



def push(store: Buildah, image: str, dest: str) -> None:
    subprocess.run(store.argv("push", "--quiet", "--tls-verify=false", image, f"docker://{dest}"),
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def docker_hub(tmp_path_factory: pytest.TempPathFactory, buildah: Buildah,  # noqa: F811
               base_image: str) -> Iterator[Registry]:  # noqa: F811
    """A local registry standing in for Docker Hub: ``python:3.12-slim`` is the Debian base."""
    with running_registry(tmp_path_factory.mktemp("registry")) as registry:
        push(buildah, base_image, f"{registry.host}/library/python:3.12-slim")
        yield registry


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory, docker_hub: Registry
             ) -> Iterator[Platform]:
    instance = new_platform(tmp_path_factory.mktemp("containers"))
    (instance.home / "config.json").write_text(json.dumps(
        {"registry_mirrors": {"docker.io": docker_hub.host}}))
    instance.env["DOCKYARD_PUSH_POLL_SECONDS"] = "0"  # tests deploy explicitly
    instance.cli("up")
    yield instance
    stop(instance)


def redeploy_under_load(platform: Platform, app: dict) -> LoadLoop:
    """A new deployment while requests flow through the router; the loop, stopped."""
    port = int(app["live_url"].rsplit(":", 1)[1])
    loop = LoadLoop(port, keepalive_threads=1, fresh_threads=1).start()
    try:
        wait_for(lambda: len(loop.samples) > 20, "requests before the redeploy")
        platform.cli("apps", "create-deployment", app["name"], "--wait")
        wait_for(lambda: every_thread_saw(loop, "v2"), "v2 on every client after the redeploy")
    finally:
        loop.stop()
    return loop


def every_thread_saw(loop: LoadLoop, version: str) -> bool:
    threads = {s.thread for s in loop.samples}
    return len(threads) == loop.threads and all(
        loop.versions(t)[-1:] == [version] for t in threads)


def assert_switched_once(loop: LoadLoop) -> None:
    """No request failed, and each client saw v1 then v2 (a keep-alive connection and a new
    one may see the switch a moment apart)."""
    assert loop.failures == [], loop.failures[:5]
    for thread in {s.thread for s in loop.samples}:
        assert loop.versions(thread) == ["v1", "v2"], (thread, loop.versions(thread))


SERVICE = """\
name: docker-web
services:
  - name: web
    github: {repo: example/docker-web, branch: main, deploy_on_push: true}
    dockerfile_path: Dockerfile
    http_port: 8080
    routes:
      - path: /
    health_check:
      http_path: /health
    envs:
      - key: BUILD_LABEL
        value: from-the-spec
        scope: BUILD_TIME
      - key: GREETING
        value: Hello from the spec
        scope: RUN_TIME
"""


def test_dockerfile_service_builds_with_buildah_runs_sandboxed_and_redeploys_without_downtime(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, SERVICE, "dockerfile_service")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and body == b"version=v1 Hello from the spec\n", body
    info = json.loads(get(app["live_url"], "/info")[1])
    assert info["uid"] >= 200000, "runs as the app's own user, not root"
    assert info["cwd"] == "/app" and info["home"] == "/root"  # the image's WORKDIR, HOME
    assert info["build_info"] == "build label: from-the-spec"  # a BUILD_TIME env as build arg
    assert info["pid1"] != "/sbin/init" and not info["host_home_visible"]
    first = build_log(platform, "docker-web", "web")
    assert "Building Dockerfile with buildah" in first
    assert "Layer cache: none of the" in first
    assert "Note: the image exposes 8080/tcp" in first

    commit(app["repo"], {"version.txt": "v2\n"})
    loop = redeploy_under_load(platform, app)
    assert_switched_once(loop)
    second = build_log(platform, "docker-web", "web")
    assert "Layer cache: 4 of 8 steps reused" in second, second
    # a console: a new sandbox of the live release, the image's root and WORKDIR, the app's uid
    out = platform.cli("apps", "console", "docker-web", "web", "--", "sh", "-c",
                       "pwd; id -u; cat version.txt").out.split()
    assert out[0] == "/app" and int(out[1]) >= 200000 and out[2] == "v2", out


SITE = """\
name: docker-site
static_sites:
  - name: site
    github: {repo: example/docker-site, branch: main, deploy_on_push: true}
    dockerfile_path: Dockerfile
    output_dir: /site/public
    routes:
      - path: /
"""


def test_dockerfile_static_site_publishes_output_dir_out_of_the_image(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, SITE, "dockerfile_site")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"<h1>Built in a Dockerfile</h1>" in body
    assert get(app["live_url"], "/about.html")[1].count(b"About this site") == 1
    assert "Publishing /site/public from the image as the site (2 files)" in \
        build_log(platform, "docker-site", "site")


def image_spec(name: str, tag: str, run_command: str = "") -> str:
    return (f"name: {name}\nservices:\n  - name: web\n    image:\n"
            "      registry_type: DOCKER_HUB\n      registry: dockyard-tests\n"
            f"      repository: hello\n      tag: \"{tag}\"\n"
            + (f"    run_command: {run_command}\n" if run_command else "") +
            "    http_port: 8080\n    routes:\n      - path: /\n"
            "    health_check:\n      http_path: /health\n")


def make_image(store: Buildah, base: str, version: str, dest: str) -> None:
    """The service's image, made without a Dockerfile (as a CI would push one)."""
    ctr = store.capture("from", "--pull-never", base)
    try:
        server = APPS / "dockerfile_service" / "server.py"
        store.capture("copy", ctr, str(server), "/app/server.py")
        store.capture("run", "--isolation", "chroot", ctr, "--", "sh", "-c",
                      f"mkdir -p /app/data && echo {version} > /app/version.txt && "
                      "echo 'build label: pushed' > /app/build-info.txt")
        store.capture("config", "--workingdir", "/app", "--env", "GREETING=Hello from an image",
                      "--cmd", '["python3", "server.py"]', ctr)
        store.capture("commit", "--quiet", ctr, "localhost/dockyard-tests/hello:wip")
    finally:
        store.capture("rm", ctr)
    push(store, "localhost/dockyard-tests/hello:wip", dest)


def test_image_service_is_pulled_from_the_registry_and_a_new_tag_redeploys_without_downtime(
        platform: Platform, tmp_path: Path, docker_hub: Registry,
        buildah: Buildah, base_image: str) -> None:  # noqa: F811
    for version in ("v1", "v2"):
        make_image(buildah, base_image, version,
                   f"{docker_hub.host}/dockyard-tests/hello:{version}")
    app = deploy_app(platform, tmp_path, image_spec("image-web", "v1"))
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and body == b"version=v1 Hello from an image\n", body
    log = build_log(platform, "image-web", "web")
    assert "Pulling docker.io/dockyard-tests/hello:v1 from " + docker_hub.host in log

    path = tmp_path / "v2.yaml"  # and run_command instead of the image's CMD, in its shell
    path.write_text(image_spec("image-web", "v2", "GREETING=\"from run_command in $0\" exec "
                                                  "python3 server.py"))
    port = int(app["live_url"].rsplit(":", 1)[1])
    loop = LoadLoop(port, keepalive_threads=1, fresh_threads=1).start()
    try:
        wait_for(lambda: len(loop.samples) > 20, "requests before the update")
        platform.cli("apps", "update", "image-web", "--spec", str(path), "--wait")
        wait_for(lambda: every_thread_saw(loop, "v2"), "v2 on every client after the update")
    finally:
        loop.stop()
    assert_switched_once(loop)
    assert get(app["live_url"], "/")[1] == b"version=v2 from run_command in /bin/bash\n"


def test_a_missing_image_or_dockerfile_is_listed_by_propose_and_the_pull_says_why(
        platform: Platform, tmp_path: Path, docker_hub: Registry) -> None:
    repo = make_repo(tmp_path / "nodocker", APPS / "dockerfile_site")
    platform.map_url("https://github.com/example/nodocker.git", repo)
    path = tmp_path / "missing.yaml"
    path.write_text(image_spec("image-missing", "no-such-tag") + (
        "  - name: built\n    github: {repo: example/nodocker, branch: main}\n"
        "    dockerfile_path: docker/Dockerfile\n"))
    out = platform.cli("apps", "propose", "--spec", str(path))
    wont = [line for line in out.out.splitlines() if line.startswith("Will Not Deploy")]
    assert len(wont) == 2, out.out
    assert f'services[0].image: "web": the registry {docker_hub.host} has no image ' \
        "dockyard-tests/hello:no-such-tag" in wont[0]
    assert "services[1]" in wont[1] and "dockerfile_path 'docker/Dockerfile' of 'built' " \
        "does not exist in the repository" in wont[1]
    # create does not look (propose does): the build says it, and nothing goes live
    path.write_text(image_spec("image-missing", "no-such-tag"))
    res = platform.cli("apps", "create", "--spec", str(path), "--wait", check=False)
    assert res.code != 0
    log = build_log(platform, "image-missing", "web")
    assert "could not pull docker.io/dockyard-tests/hello:no-such-tag: the registry has no " \
        "such image or tag" in log, log
