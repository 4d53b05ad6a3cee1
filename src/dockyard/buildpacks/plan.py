"""Say what cannot be built, before building: for ``apps spec validate``, ``propose``,
``create`` and ``update``.

Two levels:

- ``blockers(spec, host)`` reads the spec alone: an ``environment_slug`` no buildpack answers
  to, a static site built from a Dockerfile without an absolute ``output_dir``; with ``host``
  (on the server) also what this machine cannot do: Dockerfiles and images without root or
  buildah, a DOCR image without ``docr_registry``, an image reference that cannot be made.
  (Functions are the spec layer's own ``SpecDocument.undeployable()``.)
- ``detect(kind, component, files)`` runs the buildpacks' detection on a component's
  source_dir — from a checkout, or from the branch head without one (``SourceFiles``) — and
  says which buildpack will build it and why, or what it looked for and found instead (a
  ``dockerfile_path`` that is not in the repository, too).

Each finding carries the component's field path, so the CLI and API show it at its line.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Any

from dockyard.buildpacks.types import Probe, SourceFiles
from dockyard.errors import DockyardError

# The environment_slug values of ``BUILDPACKS``, in order (a test keeps them in step). Kept
# here as data so that `apps spec validate` need not import every buildpack (CLI start-up).
SUPPORTED_SLUGS = ("python", "node-js", "go", "html")

# Kinds the buildpacks build (functions run on DigitalOcean's Functions service).
BUILT_KINDS = {"services": "service", "workers": "worker", "jobs": "job",
               "static_sites": "static_site"}


@dataclass(frozen=True)
class Finding:
    """One component's verdict: it builds with ``buildpack`` (and why), or it does not."""

    loc: tuple[str | int, ...]  # field path of the component, e.g. ("services", 1)
    component: str
    kind: str
    deployable: bool
    reason: str
    buildpack: str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": f"{self.loc[0]}[{self.loc[1]}]", "component": self.component,
                "kind": self.kind, "deployable": self.deployable, "reason": self.reason,
                "buildpack": self.buildpack, "code": self.code}


def components(spec: Any) -> list[tuple[tuple[str, int], str, Any]]:
    """``(loc, kind, component)`` for every component the buildpacks would build."""
    return [((field, index), kind, comp) for field, kind in BUILT_KINDS.items()
            for index, comp in enumerate(getattr(spec, field) or [])]


@dataclass(frozen=True)
class Host:
    """What this machine can build beyond the buildpacks (known on the server only)."""

    containers: str | None = None   # why Dockerfiles and images cannot be built here, or None
    docr_registry: str = ""         # settings: the registry DOCR images come from
    registry_mirrors: tuple[tuple[str, str], ...] = ()   # settings: host -> pulled from

    @classmethod
    def detect(cls, docr_registry: str = "", mirrors: dict[str, str] | None = None,
               runtime: str = "local") -> Host:
        why = None
        if runtime != "local":
            why = (f"the {runtime} runtime does not run Dockerfile builds or image sources yet "
                   "(the local runtime does)")
        elif os.geteuid() != 0:
            why = "Dockyard does not run as root, and buildah needs root"
        elif not shutil.which("buildah", path=f"{os.environ.get('PATH', '')}:/usr/bin"):
            why = "buildah is not installed (Debian package buildah)"
        return cls(why, docr_registry, tuple(sorted((mirrors or {}).items())))


def blockers(spec: Any, host: Host | None = None) -> list[Finding]:
    """Components that will not build, each with the reason: from the spec alone, and with
    ``host`` also from what this machine can do."""
    out = []
    for loc, kind, comp in components(spec):
        if getattr(comp, "image", None) is not None or getattr(comp, "dockerfile_path", None):
            out += container_blockers(loc, kind, comp, host)
            continue
        slug = getattr(comp, "environment_slug", None)
        if slug and slug not in SUPPORTED_SLUGS:
            out.append(Finding(
                (*loc, "environment_slug"), comp.name, kind, False,
                f'"{comp.name}": environment_slug {slug!r} is not supported by Dockyard; '
                f"supported: {', '.join(SUPPORTED_SLUGS)}",
                code="build.environment_unsupported"))
    return out


def container_blockers(loc: tuple[str, int], kind: str, comp: Any, host: Host | None
                       ) -> list[Finding]:
    """A Dockerfile build or an image source that cannot be done (here)."""
    from dockyard.buildpacks.imageref import image_ref
    from dockyard.errors import DockyardError

    image = getattr(comp, "image", None)
    if host is not None and host.containers:
        what = "an image source" if image is not None else "a Dockerfile build"
        return [Finding((*loc, "image" if image is not None else "dockerfile_path"),
                        comp.name, kind, False, f'"{comp.name}" is {what}, which this machine '
                        f"cannot do: {host.containers}", code="build.containers_unavailable")]
    output_dir = str(getattr(comp, "output_dir", None) or "")
    if kind == "static_site" and (not output_dir.startswith("/") or output_dir.strip("/") == ""):
        return [Finding((*loc, "output_dir"), comp.name, kind, False,
                        f'"{comp.name}" is a static site built from a Dockerfile: output_dir '
                        "must be the absolute path of the built files in the image (not /)",
                        code="build.output_dir_invalid")]
    if image is not None and host is not None:
        try:
            image_ref(image.model_dump(mode="json"), host.docr_registry,
                      f"{loc[0]}[{loc[1]}].image")
        except DockyardError as exc:
            hint = f" {exc.hint}" if exc.hint else ""
            return [Finding((*loc, "image"), comp.name, kind, False,
                            f'"{comp.name}": {exc.message}{hint}', code=exc.code)]
    return []


def skipped(spec: Any, host: Host | None = None) -> list[tuple[str, str]]:
    """``(name, reason)`` of the components a deployment leaves out: ``blockers`` and
    functions. ``apps create`` accepted them only when asked to deploy the rest."""
    out = [(f.component, f.reason) for f in blockers(spec, host)]
    return out + [(f.name, "functions run on DigitalOcean's Functions service, not on Dockyard")
                  for f in getattr(spec, "functions", None) or []]


def detect(loc: tuple[str, int], kind: str, comp: Any, files: SourceFiles,
           root: SourceFiles | None = None) -> Finding:
    """Which buildpack builds this component from ``files`` (its source_dir; ``root``: the
    repository's root, where dockerfile_path is), or why none does."""
    from dockyard.buildpacks.registry import select

    probe = Probe(comp.name, kind, files, getattr(comp, "environment_slug", None),
                  getattr(comp, "build_command", None), getattr(comp, "dockerfile_path", None),
                  getattr(comp, "image", None) is not None, root)
    try:
        pack, reason = select(probe)
    except DockyardError as exc:
        return Finding(loc, comp.name, kind, False, f'"{comp.name}": {exc.message}',
                       code=exc.code)
    return Finding(loc, comp.name, kind, True, reason, buildpack=pack.name)


def nothing_to_run(spec: Any, blocked: set[str] | None = None) -> bool:
    """True when every component is one Dockyard cannot run (e.g. a functions-only app)."""
    if blocked is None:
        blocked = {name for name, _why in skipped(spec)}
    names = [c.name for _loc, _kind, c in components(spec)]
    names += [f.name for f in getattr(spec, "functions", None) or []]
    return bool(names) and all(n in blocked for n in names)
