"""The Dockerfile app of ``bench/deploy.py`` (``--apps docker``): tests/apps/dockerfile_service.

- cold: a new app, so its own image store is empty: ``FROM python:3.12-slim`` is pulled and
  every step runs (the build log must say "none of the ... steps reused");
- warm: a commit that changes only ``version.txt`` (the ``COPY`` layer), deployed: the steps
  before it come from the layer cache ("4 of 8 steps reused"); target ≤ 5 s.

No registry on the internet is reachable, so ``docker.io`` is mapped to a local registry
(Debian's docker-registry on 127.0.0.1, ``registry_mirrors`` in config.json) holding the
Debian base the tests make with mmdebstrap as ``python:3.12-slim``. The registry is stopped
by its pid at the end.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

from deploy import ROOT, Installation, ProfileBench, seconds_in

from dockyard.buildpacks.images import BaseImage, Buildah, ensure_base_image
from dockyard.logs import Log

APP_DIR = ROOT / "tests" / "apps" / "dockerfile_service"
URL = "https://github.com/example/docker-web.git"
SPEC = """\
name: {name}
services:
  - name: web
    github: {{repo: example/docker-web, branch: main}}
    dockerfile_path: Dockerfile
    http_port: 8080
    routes:
      - path: /
    health_check:
      http_path: /health
"""
IMAGES = Path("/var/tmp/dockyard-test-images")   # the tests' cache of the base image


class LocalHub:
    """docker-registry on 127.0.0.1 standing in for Docker Hub (python:3.12-slim = the base)."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.host = f"127.0.0.1:{s.getsockname()[1]}"
        config = root / "registry.json"
        config.write_text(json.dumps({
            "version": 0.1, "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(root / "registry-data")}},
            "http": {"addr": self.host}}))
        self.log = (root / "registry.log").open("w")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not self.answers():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the local registry did not start")
            time.sleep(0.1)
        buildah = Buildah(root=IMAGES / "storage", runroot=IMAGES / "run")
        log = Log(root / "base.log")
        try:
            base = ensure_base_image(buildah, BaseImage(), IMAGES / "rootfs", log)
        finally:
            log.close()
        subprocess.run(buildah.argv("push", "--quiet", "--tls-verify=false", base,
                                    f"docker://{self.host}/library/python:3.12-slim"),
                       check=True, capture_output=True)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def configure(self, inst: Installation) -> None:
        """Before ``up``: docker.io is this registry."""
        (inst.home / "config.json").write_text(json.dumps(
            {"registry_mirrors": {"docker.io": self.host}}))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class DockerBench(ProfileBench):
    APP = "docker-web"
    PAGE = b"version=v1"
    COLD_SAYS = "Layer cache: none of the"
    WARM_SAYS = "Layer cache: 4 of 8 steps reused"
    TITLE = "docker-web (Dockerfile, buildah, FROM python:3.12-slim)"
    WARM_LABEL = "warm (COPY layer changed)"
    WARM_TARGET = 5.0
    COLD_TARGET = None   # the issue sets none: the base is pulled and every step runs
    SOURCE, REPO, URL, SPEC = APP_DIR, "docker-web", URL, SPEC

    def __init__(self, inst: Installation) -> None:  # noqa: D107 - and the linking times
        super().__init__(inst)
        self.linked: dict[str, list[float]] = {}

    def mark(self, marker: str) -> None:
        (self.repo / "version.txt").write_text(f"{marker}\n")

    def cold(self, n: int) -> float:
        took = self.new_app("cold", f"cold-dock-{n}")
        self.inst.cli("apps", "delete", f"cold-dock-{n}", "--force")
        return took

    def record(self, kind: str, name: str, took: float, expect: str) -> float:
        took = super().record(kind, name, took, expect)
        build = self.inst.deploy_log(self.inst.app(name), "build-web.log")
        linked = seconds_in(build, r"linked in ([\d.]+)s")
        if linked is not None:
            self.linked.setdefault(kind, []).append(linked)
        return took

    def print_breakdown(self) -> None:
        """Where a Dockerfile build's time goes: buildah bud, then the image's root linked
        into the release out of the app's layer cache."""
        for kind in ("cold", "warm"):
            builds = [r["build"] for r in self.timings.get(kind, []) if r["build"] is not None]
            linked = self.linked.get(kind, [])
            if builds and linked:
                print(f"  {kind}: build {statistics.median(builds):.1f} s = buildah bud "
                      f"{statistics.median(builds) - statistics.median(linked):.1f} s + root "
                      f"filesystem linked {statistics.median(linked):.1f} s")
