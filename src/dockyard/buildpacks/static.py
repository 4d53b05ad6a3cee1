"""Static sites: publish files (as they are, or after ``build_command``) into ``release/site``.

``output_dir`` is relative to the source_dir (a leading "/" is allowed, ".." may not leave it).
When a build ran and ``output_dir`` is unset we scan ``_static``, ``dist``, ``public``, ``build``
as App Platform does, preferring a folder the build created: a React or Vite project keeps its
*input* in ``public/`` and writes ``build/`` or ``dist/``. Without a build the source_dir itself
is the document root.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dockyard.buildpacks.steps import build_env, copy_app, run_build_command
from dockyard.buildpacks.types import BuildRequest, BuildResult, Probe
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import inside

SCAN = ("_static", "dist", "public", "build")


class StaticBuildpack:
    """Files served by the router's nginx; no processes, no interpreter."""

    name = "html"
    title = "static site"
    slugs: tuple[str, ...] = ("html",)
    looks_for = ("a static_site component",)

    def detect(self, probe: Probe) -> str | None:
        if probe.kind == "static_site" and not probe.build_command:
            return "static_site with no build_command: publishing its files as they are"
        return None

    def build(self, req: BuildRequest, log: Log) -> BuildResult:
        notes: list[str] = []
        if not req.build_command:
            site = publish_site(req, req.src, built=False, log=log, notes=notes)
        else:
            work_root = req.home.build_cache / "work"
            work_root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=f"{req.component}-", dir=work_root) as tmp:
                work = copy_app(req.src, Path(tmp) / "src")
                run_build_command(req, work, build_env(req, None, log), log)
                site = publish_site(req, work, built=True, log=log, notes=notes)
        return BuildResult("html", req.release, None, site, None, None, False, None, notes)


def publish_site(req: BuildRequest, root: Path, *, built: bool, log: Log,
                 notes: list[str]) -> Path:
    """Copy the document root into ``release/site`` and return it."""
    out = _output_dir(req, root, built, notes)
    site = copy_app(out, req.release / "site")
    count = sum(1 for p in site.rglob("*") if p.is_file())
    rel = out.relative_to(root)
    log.step(f"Publishing {str(rel) + '/' if rel.parts else 'the source_dir'} as the site "
             f"({count} files)")
    if not (site / "index.html").is_file():
        notes.append("the site has no index.html at its root")
        log.child(f"Note: {notes[-1]}")
    return site


def _output_dir(req: BuildRequest, root: Path, built: bool, notes: list[str]) -> Path:
    if req.output_dir:
        return _resolve(root, req.output_dir, req.component)
    if not built:
        return root
    source = {p.name for p in req.src.iterdir()} if req.src.is_dir() else set()
    found = [name for name in SCAN if (root / name).is_dir()]
    created = [name for name in found if name not in source]
    for name in created or found:
        made = " (made by the build)" if name in created else ""
        notes.append(f"output_dir unset: using '{name}'{made} (scanned {', '.join(SCAN)})")
        return root / name
    notes.append(f"output_dir unset and none of {', '.join(SCAN)} exists after the build: "
                 "publishing the whole source_dir")
    return root


def _resolve(root: Path, output_dir: str, component: str) -> Path:
    rel = inside(output_dir)
    if rel is None:
        raise DockyardError(
            f"output_dir {output_dir!r} of '{component}' leaves the source_dir",
            code="build.output_dir_escapes",
            hint="output_dir is relative to source_dir; remove the '..'.")
    target = root / rel
    if target.is_dir() and target.resolve().is_relative_to(root.resolve()):
        return target
    dirs = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != ".git")
    raise DockyardError(
        f"output_dir '{output_dir}' of '{component}' does not exist after the build; "
        f"directories in the source_dir: {', '.join(dirs) or '(none)'}",
        code="build.output_dir_missing",
        hint="Set output_dir to the folder your build_command writes (e.g. dist), or "
             "leave it unset to scan " + ", ".join(SCAN) + ".")
