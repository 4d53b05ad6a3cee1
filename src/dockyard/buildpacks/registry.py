"""The buildpacks in order, and the one ``build`` entry point of the build stage.

``build(req, log)`` picks a buildpack — by ``environment_slug`` if given, else the first in
``BUILDPACKS`` whose ``detect()`` gives a reason, else the explicit fallback (static sites
with a build_command → ``html``; anything else is an error that says what was looked for and
what was found) — runs it, and writes ``release/release.json``. After that the release is
never written again; the runtime copies ``release/app`` per instance.

``plan`` (``dockyard.buildpacks.plan``) answers the same question before anything is built,
for ``apps propose`` and ``apps create``.
"""

from __future__ import annotations

import time

from dockyard.buildpacks.dockerfile import DockerfileBuildpack, ImageBuildpack
from dockyard.buildpacks.go import GoBuildpack
from dockyard.buildpacks.node import NodeBuildpack
from dockyard.buildpacks.python import PythonBuildpack
from dockyard.buildpacks.static import StaticBuildpack
from dockyard.buildpacks.types import (
    Buildpack,
    BuildRequest,
    BuildResult,
    BuildSettings,
    DirFiles,
    Probe,
    SourceFiles,
    read_release_json,
    write_release_json,
)
from dockyard.errors import DockyardError
from dockyard.logs import Log

# First match wins (docs/conventions.md §8). Python before Node: a Django app with a
# package.json for its CSS tooling is a Python app, as on DigitalOcean where Python leads.
BUILDPACKS: tuple[Buildpack, ...] = (PythonBuildpack(), NodeBuildpack(), GoBuildpack(),
                                     StaticBuildpack())
FALLBACK_STATIC = BUILDPACKS[-1]
SUPPORTED_SLUGS = tuple(s for p in BUILDPACKS for s in p.slugs)
# Images instead of app files, chosen before any buildpack (DigitalOcean: a Dockerfile wins).
# They run as root with buildah, in a sandbox of their own (``isolation.builder``).
DOCKERFILE, IMAGE = DockerfileBuildpack(), ImageBuildpack()
CONTAINER_BUILDS: tuple[Buildpack, ...] = (IMAGE, DOCKERFILE)

__all__ = ["BUILDPACKS", "CONTAINER_BUILDS", "SUPPORTED_SLUGS", "BuildRequest", "BuildResult",
           "BuildSettings", "Buildpack", "DirFiles", "Probe", "SourceFiles", "build",
           "read_release_json", "select", "write_release_json"]


def build(req: BuildRequest, log: Log) -> BuildResult:
    """Build ``req.src`` into ``req.release`` (which must be empty) and describe the result."""
    started = time.monotonic()
    pack, reason = select(req)
    if req.release.exists() and any(req.release.iterdir()):
        raise DockyardError(f"release directory {req.release} is not empty",
                            code="build.release_not_empty",
                            hint="Releases are immutable: build into a new directory.")
    req.release.mkdir(parents=True, exist_ok=True)
    log.step(f"{pack.title} buildpack for {req.kind} '{req.component}' ({reason})")
    try:
        result = pack.build(req, log)
    except DockyardError as exc:  # the build log ends with what went wrong and how to fix it
        log.error(f"Build failed [{exc.code}]: {exc.message}")
        if exc.hint:
            log.error(exc.hint)
        raise
    write_release_json(result)
    log.step(f"Build of '{req.component}' done in {time.monotonic() - started:.1f}s")
    return result


def select(what: BuildRequest | Probe) -> tuple[Buildpack, str]:
    """The buildpack for a component and why (docs/conventions.md §8: first match wins, explicit
    fallback); a ``DockyardError`` that lists what was looked for when nothing matches."""
    probe = what.probe() if isinstance(what, BuildRequest) else what
    if probe.image or probe.dockerfile_path:
        return container_build(probe)
    if probe.environment_slug:
        for pack in BUILDPACKS:
            if probe.environment_slug in pack.slugs:
                return pack, f"environment_slug: {probe.environment_slug}"
        raise unsupported_slug(probe.component, probe.environment_slug)
    for pack in (DOCKERFILE, *BUILDPACKS):
        reason = pack.detect(probe)
        if reason:
            return pack, reason
    if probe.kind == "static_site":
        return FALLBACK_STATIC, "static_site with a build_command and no language markers"
    raise nothing_detected(probe)


def container_build(probe: Probe) -> tuple[Buildpack, str]:
    """An image source, or a Dockerfile named by ``dockerfile_path`` (which must exist in the
    repository, when the repository's root can be looked at)."""
    pack = IMAGE if probe.image else DOCKERFILE
    reason = pack.detect(probe)
    assert reason is not None
    if probe.dockerfile_path and probe.root is not None and not probe.image:
        path = probe.dockerfile_path.lstrip("/")
        if probe.root.read(path) is None:
            raise DockyardError(
                f"dockerfile_path {probe.dockerfile_path!r} of '{probe.component}' does not "
                "exist in the repository", code="build.dockerfile_missing",
                hint="dockerfile_path is relative to the repository's root (not to "
                     "source_dir).")
    return pack, reason


def unsupported_slug(component: str, slug: str) -> DockyardError:
    return DockyardError(
        f"environment_slug {slug!r} of '{component}' is not supported by Dockyard; "
        f"supported: {', '.join(SUPPORTED_SLUGS)}", code="build.environment_unsupported",
        hint="Remove environment_slug to let Dockyard detect the buildpack, or use one of "
             "the supported values.")


def nothing_detected(probe: Probe) -> DockyardError:
    """What each buildpack looked for, and what the source_dir holds instead."""
    looked = "; ".join(f"{', '.join(p.looks_for)} ({p.title})" for p in (*BUILDPACKS, DOCKERFILE)
                       if p is not FALLBACK_STATIC)
    found = sorted(probe.files.names())
    shown = ", ".join(found[:15]) + (f" and {len(found) - 15} more" if len(found) > 15 else "")
    return DockyardError(
        f"no buildpack detected for {probe.kind} '{probe.component}': looked for {looked}; "
        f"found {shown or 'an empty directory'}", code="build.buildpack_not_detected",
        hint="Check source_dir (it must point at the folder with the app's manifest), add the "
             "manifest (requirements.txt, package.json or go.mod), or set environment_slug.")
