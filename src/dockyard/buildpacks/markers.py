"""Requirements written for one Python version, built with another.

When runtime.txt asks for a Python that is not installed, the build uses the nearest one
(``interpreters.choose``). A requirements.txt exported for the requested version (every line
carrying ``; python_version == "3.10"`` or the like, as ``pip-compile``/``poetry export``
write them) then installs nothing, or only part of what the app needs, and the failure shows
up only at run time as ``gunicorn: command not found``. This check reads the markers with
``packaging`` for both versions and fails the build first, naming the lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

from dockyard.buildpacks.deps import DepsPlan
from dockyard.buildpacks.pyversion import Version, VersionRequest, fmt
from dockyard.errors import DockyardError
from dockyard.logs import Log


@dataclass(frozen=True)
class Line:
    file: str
    number: int
    text: str
    requirement: Requirement


def requirement_lines(app: Path, files: tuple[str, ...]) -> list[Line]:
    """Every requirement (not option) line of the requirement files, parsed."""
    out = []
    for rel in files:
        raw = (app / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        for number, text in enumerate(raw, 1):
            line = text.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            try:
                out.append(Line(rel, number, line, Requirement(line)))
            except InvalidRequirement:
                continue  # URLs, paths: uv reports what it cannot read
    return out


def applies(req: Requirement, version: Version) -> bool:
    if req.marker is None:
        return True
    env = dict(default_environment())
    full = fmt((tuple(version) + (0, 0))[:3])
    env.update({"python_version": fmt(version[:2]), "python_full_version": full,
                "implementation_version": full})
    return req.marker.evaluate(env)  # type: ignore[arg-type]


def check(app: Path, plan: DepsPlan, request: VersionRequest | None, chosen: Version,
          log: Log) -> None:
    """Fail when the requirements were written for the requested (missing) version only."""
    if plan.manager != "requirements.txt" or request is None or request.version is None:
        return
    if tuple(chosen[: len(request.version)]) == tuple(request.version):
        return
    lines = requirement_lines(app, plan.files)
    skipped = [ln for ln in lines if applies(ln.requirement, request.version)
               and not applies(ln.requirement, chosen)]
    if not skipped:
        return
    shown = "; ".join(f"{ln.file}:{ln.number} {ln.text}" for ln in skipped[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    if all(ln.requirement.marker is not None for ln in lines):
        kept = len(lines) - len(skipped)
        state = "empty" if kept == 0 else f"incomplete ({kept} of {len(lines)} requirements)"
        raise DockyardError(
            f"{request.source} asks for Python {request.text}, which is not installed, and "
            f"every requirement carries a marker for that version: with Python {fmt(chosen)} "
            f"the environment would be {state}. Skipped: {shown}{more}",
            code="build.requirements_for_other_python",
            hint=f"Install Python {fmt(request.version[:2])} on the host, or export the "
                 f"requirements for Python {fmt(chosen[:2])} (or without version markers).")
    log.error(f"WARNING: with Python {fmt(chosen)} instead of {request.text} these "
              f"requirements are skipped by their markers: {shown}{more}")
