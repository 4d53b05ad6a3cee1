"""Say what cannot be built, before building: for ``apps spec validate``, ``propose``,
``create`` and ``update``.

Two levels:

- ``blockers(spec)`` reads the spec alone: a Dockerfile build (not supported yet), an
  ``environment_slug`` no buildpack answers to. (Functions and image sources are the spec
  layer's own ``SpecDocument.undeployable()``.)
- ``detect(kind, component, files)`` runs the buildpacks' detection on a component's
  source_dir — from a checkout, or from the branch head without one (``SourceFiles``) — and
  says which buildpack will build it and why, or what it looked for and found instead.

Each finding carries the component's field path, so the CLI and API show it at its line.
"""

from __future__ import annotations

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


def blockers(spec: Any) -> list[Finding]:
    """Components the spec alone says will not build, each with the reason."""
    out = []
    for loc, kind, comp in components(spec):
        if getattr(comp, "image", None) is not None:
            continue  # the spec layer reports image sources
        if getattr(comp, "dockerfile_path", None):
            out.append(Finding(
                (*loc, "dockerfile_path"), comp.name, kind, False,
                f'"{comp.name}" is built from a Dockerfile ({comp.dockerfile_path}); Dockerfile '
                "builds are not supported by Dockyard yet: remove dockerfile_path to use a "
                "buildpack", code="build.dockerfile_unsupported"))
            continue
        slug = getattr(comp, "environment_slug", None)
        if slug and slug not in SUPPORTED_SLUGS:
            out.append(Finding(
                (*loc, "environment_slug"), comp.name, kind, False,
                f'"{comp.name}": environment_slug {slug!r} is not supported by Dockyard; '
                f"supported: {', '.join(SUPPORTED_SLUGS)}",
                code="build.environment_unsupported"))
    return out


def skipped(spec: Any) -> list[tuple[str, str]]:
    """``(name, reason)`` of the components a deployment leaves out: ``blockers``, image
    sources, functions. ``apps create`` accepted them only when asked to deploy the rest."""
    out = [(f.component, f.reason) for f in blockers(spec)]
    out += [(c.name, "image sources are not deployable by Dockyard yet")
            for _loc, _kind, c in components(spec) if getattr(c, "image", None) is not None]
    return out + [(f.name, "functions run on DigitalOcean's Functions service, not on Dockyard")
                  for f in getattr(spec, "functions", None) or []]


def detect(loc: tuple[str, int], kind: str, comp: Any, files: SourceFiles) -> Finding:
    """Which buildpack builds this component from ``files``, or why none does."""
    from dockyard.buildpacks.registry import select

    probe = Probe(comp.name, kind, files, getattr(comp, "environment_slug", None),
                  getattr(comp, "build_command", None))
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
