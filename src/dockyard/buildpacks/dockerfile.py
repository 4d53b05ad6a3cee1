"""The two ways a component becomes an image rather than app files: its Dockerfile, or an
``image`` source. Both have the ``Buildpack`` shape, so the build stage, propose and the
build log treat them like the others; the work is in ``containers.py``.

As on DigitalOcean, a Dockerfile wins: ``dockerfile_path`` in the spec, or a ``Dockerfile``
at the top of the source_dir, before any language is detected.
"""

from __future__ import annotations

from dockyard.buildpacks.types import BuildRequest, BuildResult, Probe
from dockyard.logs import Log


class DockerfileBuildpack:
    name = "dockerfile"
    title = "Dockerfile"
    slugs: tuple[str, ...] = ()
    looks_for = ("Dockerfile",)

    def detect(self, probe: Probe) -> str | None:
        if probe.dockerfile_path:
            return f"dockerfile_path: {probe.dockerfile_path}"
        if "Dockerfile" in probe.files.names():
            return "found Dockerfile"
        return None

    def build(self, req: BuildRequest, log: Log) -> BuildResult:
        from dockyard.buildpacks.containers import build_dockerfile

        return build_dockerfile(req, log)


class ImageBuildpack:
    name = "image"
    title = "Image"
    slugs: tuple[str, ...] = ()
    looks_for = ("an image source",)

    def detect(self, probe: Probe) -> str | None:
        return "image source: pulled, not built" if probe.image else None

    def build(self, req: BuildRequest, log: Log) -> BuildResult:
        from dockyard.buildpacks.containers import pull_image

        return pull_image(req, log)
