"""What a build is asked to do and what it hands back (plain values, no spec models).

A release directory is immutable once ``build`` returns: the runtime copies ``release/app``
per instance and never writes into the release. ``release/release.json`` carries the
``BuildResult`` so the runtime can start a release without importing the build stage.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from dockyard.files import read_own
from dockyard.logs import Log
from dockyard.paths import Home

RELEASE_JSON = "release.json"
READ_LIMIT = 1 << 20  # detection reads small manifests only (package.json, go.mod …)


class SourceFiles(Protocol):
    """A component's source_dir as detection sees it: on disk, or in a git tree (propose).

    Detection reads only the top level and a few small manifests, so the same code answers
    before a build (from the branch head, without a checkout) and during it.
    """

    def names(self) -> frozenset[str]:
        """Entries at the top of source_dir; directories end with ``/``."""
        ...

    def read(self, rel: str) -> str | None:
        """A small text file's contents, or None when it does not exist."""
        ...


@dataclass(frozen=True)
class DirFiles:
    """``SourceFiles`` of a directory on disk (a checkout)."""

    root: Path

    def names(self) -> frozenset[str]:
        try:
            return frozenset(p.name + ("/" if p.is_dir() else "") for p in self.root.iterdir())
        except OSError:
            return frozenset()

    def read(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            if not path.is_file():
                return None
            with path.open("rb") as fh:
                return fh.read(READ_LIMIT).decode("utf-8", errors="replace")
        except OSError:
            return None


@dataclass(frozen=True)
class Probe:
    """What detection needs to know about one component (no paths to write, no secrets)."""

    component: str
    kind: str  # "service", "worker", "job", "static_site"
    files: SourceFiles
    environment_slug: str | None = None
    build_command: str | None = None
    dockerfile_path: str | None = None  # relative to the repository's root
    image: bool = False  # an ``image`` source: pulled, not built
    root: SourceFiles | None = None  # the repository's root (dockerfile_path is read there)


@dataclass(frozen=True)
class BuildSettings:
    """Host policy for builds (not part of the App Spec): Python interpreters, registries."""

    allow_python_downloads: bool = False  # let uv fetch a missing interpreter
    strict_python: bool = False  # never fall back to another minor version
    python_candidates: tuple[Path, ...] | None = None  # override interpreter discovery
    # their versions, probed once by the deploy worker (interpreters.remembered)
    python_versions: dict[str, str] | None = None
    # registry host -> where its images are pulled from instead (settings.registry_mirrors)
    registry_mirrors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildRequest:
    component: str
    kind: str  # "service", "worker", "job", "static_site"
    src: Path  # resolved source_dir of a checkout; never modified
    release: Path  # empty dir to fill; immutable afterwards
    env: dict[str, str]  # build-visible spec vars, merged and scope-filtered
    home: Home
    environment_slug: str | None = None
    build_command: str | None = None
    run_command: str | None = None
    output_dir: str | None = None
    force_rebuild: bool = False
    settings: BuildSettings = field(default_factory=BuildSettings)
    dockerfile_path: str | None = None  # relative to ``checkout``, the repository's root
    checkout: Path | None = None  # the repository's root (``src`` is its source_dir)
    image: dict[str, str] | None = None  # an image source: reference, credentials, insecure
    owner: tuple[int, int] | None = None  # uid, gid the files of an image's root get

    def probe(self) -> Probe:
        return Probe(self.component, self.kind, DirFiles(self.src), self.environment_slug,
                     self.build_command, self.dockerfile_path, self.image is not None,
                     DirFiles(self.checkout) if self.checkout else None)


@dataclass(frozen=True)
class BuildResult:
    buildpack: str  # "python", "node-js", "go", "html"
    release: Path
    app_dir: Path | None  # release/app (services, workers, jobs)
    site_dir: Path | None  # release/site (static sites)
    python: str | None  # e.g. "3.11.7"
    venv: Path | None  # shared, read-only environment: run with PATH=<venv>/bin:…
    env_cache_hit: bool  # the dependency cache (venv, node_modules, Go modules) was reused
    default_run_command: str | None
    notes: list[str] = field(default_factory=list)
    interpreter: str | None = None  # the Python the venv was made with (its prefix is read)
    runtime: str | None = None  # what runs the app, e.g. "Node.js 20.20.2", "go1.19.8"
    extra_env: dict[str, str] = field(default_factory=dict)  # defaults (NODE_ENV=production)
    extra_path: list[str] = field(default_factory=list)  # e.g. <node_modules>/.bin
    caches: list[str] = field(default_factory=list)  # shared dirs it reads (node_modules)
    image: dict[str, Any] | None = None  # app_dir is this image's root (``images.ImageConfig``)

    @property
    def run_env(self) -> dict[str, str]:
        """What an instance's environment gets from the build (besides ``run_path``); the
        spec's own variables override it."""
        return {**self.extra_env, **({"VIRTUAL_ENV": str(self.venv)} if self.venv else {})}

    @property
    def run_path(self) -> list[str]:
        """Directories an instance finds its programs in, before the system's PATH."""
        return ([str(self.venv / "bin")] if self.venv else []) + list(self.extra_path)

    @property
    def run_mounts(self) -> list[str]:
        """Host paths an instance reads at run time, outside its release: the virtualenv
        and the interpreter it was made with (when that is not the system's), and the shared
        caches the release links to (node_modules)."""
        paths = [str(self.venv)] if self.venv else []
        if self.interpreter:
            prefix = Path(self.interpreter).parent.parent
            if not str(prefix).startswith("/usr"):
                paths.append(str(prefix))
        return paths + [str(c) for c in self.caches]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value) if isinstance(value, Path) else value
        out["run_env"], out["run_path"] = self.run_env, self.run_path
        out["run_mounts"] = self.run_mounts
        return out


class Buildpack(Protocol):
    """One way of turning a source tree into a release (docs/conventions.md §8)."""

    name: str
    title: str  # how the build log names it, e.g. "Node.js"
    slugs: tuple[str, ...]  # environment_slug values that select it
    looks_for: tuple[str, ...]  # the files detect() looks at, for "nothing detected" errors

    def detect(self, probe: Probe) -> str | None:
        """Why this buildpack applies (shown in the log and by propose), or None."""
        ...

    def build(self, req: BuildRequest, log: Log) -> BuildResult: ...


def write_release_json(result: BuildResult) -> Path:
    """Write ``release.json`` atomically (temp file + rename, docs/conventions.md §6)."""
    path = result.release / RELEASE_JSON
    fd, tmp = tempfile.mkstemp(prefix=".release-", dir=result.release)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(result.to_json(), fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def read_release_json(release: Path) -> dict[str, object]:
    """What the runtime reads back (strings, as written by ``write_release_json``)."""
    return json.loads(read_own(release / RELEASE_JSON))
