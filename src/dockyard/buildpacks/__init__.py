"""Build stage: turn a component's source_dir into an immutable release directory.

``build(req, log)`` picks a buildpack — by ``environment_slug`` if given, else the first in
``BUILDPACKS`` whose ``detect()`` gives a reason, else the explicit fallback (static sites
with a build_command → ``html``; anything else is an error) — runs it, and writes
``release/release.json``. After that the release is never written again; the runtime copies
``release/app`` per instance.
"""

from __future__ import annotations

import time

from dockyard.buildpacks.deps import MARKERS
from dockyard.buildpacks.python import PythonBuildpack
from dockyard.buildpacks.static import StaticBuildpack
from dockyard.buildpacks.types import (
    Buildpack,
    BuildRequest,
    BuildResult,
    BuildSettings,
    read_release_json,
    write_release_json,
)
from dockyard.errors import DockyardError
from dockyard.logs import Log

BUILDPACKS: tuple[Buildpack, ...] = (PythonBuildpack(), StaticBuildpack())
FALLBACK_STATIC = BUILDPACKS[1]

__all__ = ["BUILDPACKS", "BuildRequest", "BuildResult", "BuildSettings", "Buildpack", "build",
           "read_release_json", "select"]


def build(req: BuildRequest, log: Log) -> BuildResult:
    """Build ``req.src`` into ``req.release`` (which must be empty) and describe the result."""
    started = time.monotonic()
    pack, reason = select(req)
    if req.release.exists() and any(req.release.iterdir()):
        raise DockyardError(f"release directory {req.release} is not empty",
                            code="build.release_not_empty",
                            hint="Releases are immutable: build into a new directory.")
    req.release.mkdir(parents=True, exist_ok=True)
    log.step(f"{pack.name} buildpack for {req.kind} '{req.component}' ({reason})")
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


def select(req: BuildRequest) -> tuple[Buildpack, str]:
    """The buildpack for ``req`` and why (docs/conventions.md §8: first match wins, explicit
    fallback)."""
    if req.environment_slug:
        for pack in BUILDPACKS:
            if req.environment_slug in pack.slugs:
                return pack, f"environment_slug: {req.environment_slug}"
        known = ", ".join(s for p in BUILDPACKS for s in p.slugs)
        raise DockyardError(
            f"environment_slug {req.environment_slug!r} of '{req.component}' is not supported "
            f"by Dockyard; supported: {known}", code="build.environment_unsupported",
            hint="Remove environment_slug to let Dockyard detect the buildpack, or use one "
                 "of the supported values.")
    for pack in BUILDPACKS:
        reason = pack.detect(req)
        if reason:
            return pack, reason
    if req.kind == "static_site":
        return FALLBACK_STATIC, "static_site with a build_command and no Python markers"
    raise DockyardError(
        f"no buildpack detected for {req.kind} '{req.component}' in {req.src}: expected one "
        f"of {', '.join(MARKERS)} for a Python app",
        code="build.buildpack_not_detected",
        hint="Add a requirements.txt (and check source_dir), or set environment_slug.")
