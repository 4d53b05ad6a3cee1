"""Which dependency file defines an app's environment, and the uv command that installs it.

Precedence follows heroku-buildpack-python (§12): Pipfile > requirements.txt > poetry.lock >
uv.lock, then a plain pyproject.toml or setup.py. We install with uv only, so Pipfile-only and
poetry-only apps get an error that says how to export a requirements.txt. Only dependencies go
into the shared environment, never the app itself (``--no-install-project``, ``-r setup.py``):
the app runs from its release directory, so a code-only change reuses the environment.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError

_INCLUDE = re.compile(r"^(?:-r|-c|--requirement|--constraint)(?:\s+|=)(\S+)")
_LOCAL = re.compile(r"^(?:-e\s+|--editable[\s=]+)?(?:\.{1,2}(?:/|$|\[)|/|file:)")
MARKERS = ("requirements.txt", "pyproject.toml", "uv.lock", "Pipfile", "setup.py", "manage.py",
           "runtime.txt", ".python-version", "poetry.lock")


@dataclass(frozen=True)
class DepsPlan:
    manager: str  # "requirements.txt", "uv.lock", "pyproject.toml", "setup.py"
    files: tuple[str, ...]  # relative paths whose contents define the environment
    notes: tuple[str, ...] = ()

    def install_argv(self, uv: str, python: Path) -> list[str]:
        """The uv command, run with cwd = app dir (and UV_PROJECT_ENVIRONMENT for uv.lock)."""
        if self.manager == "uv.lock":
            return [uv, "sync", "--locked", "--no-install-project", "--no-dev",
                    "--python", str(python)]
        return [uv, "pip", "install", "--python", str(python), "-r", self.manager]


def plan(app: Path) -> DepsPlan:
    """Pick the dependency file by precedence; raise when none we can install exists."""
    has = {name: (app / name).is_file() for name in MARKERS}
    if has["requirements.txt"]:
        notes = ("Pipfile is ignored: requirements.txt is installed with uv (DigitalOcean "
                 "would use pipenv)",) if has["Pipfile"] else ()
        return DepsPlan("requirements.txt", requirement_files(app, "requirements.txt"),
                        notes + local_path_notes(app, "requirements.txt"))
    if has["Pipfile"]:
        raise _unsupported("Pipfile (pipenv)", "pipenv requirements > requirements.txt")
    if has["poetry.lock"]:
        raise _unsupported("poetry.lock (Poetry)",
                           "poetry export -f requirements.txt -o requirements.txt")
    if has["uv.lock"] and has["pyproject.toml"]:
        return DepsPlan("uv.lock", ("pyproject.toml", "uv.lock"))
    if has["pyproject.toml"] and _has_project_table(app / "pyproject.toml"):
        return DepsPlan("pyproject.toml", ("pyproject.toml",))
    if has["setup.py"]:
        extra = ("setup.cfg",) if (app / "setup.cfg").is_file() else ()
        return DepsPlan("setup.py", ("setup.py", *extra))
    raise DockyardError(
        f"no dependency file in {app.name or app}: expected requirements.txt, "
        "pyproject.toml (with [project]) + optional uv.lock, or setup.py",
        code="build.no_dependency_file",
        hint="Add a requirements.txt listing the app's packages (an empty one is fine), "
             "or set environment_slug if this is not a Python app.")


def requirement_files(app: Path, first: str) -> tuple[str, ...]:
    """``first`` plus every file it pulls in with -r/-c, inside the app, in order."""
    root = app.resolve()
    seen: list[str] = []
    todo = [first]
    while todo:
        rel = todo.pop(0)
        path = root / rel
        if rel in seen or not path.is_file():
            continue
        seen.append(rel)
        for line in _lines(path):
            m = _INCLUDE.match(line)
            target = (path.parent / m.group(1)).resolve() if m else None
            if target is not None and target.is_relative_to(root):
                todo.append(str(target.relative_to(root)))
    return tuple(seen)


def local_path_notes(app: Path, rel: str) -> tuple[str, ...]:
    """Warn about local/editable paths: the shared environment won't follow their code."""
    notes = []
    for n, line in enumerate(_lines(app / rel), 1):
        if _LOCAL.match(line):
            notes.append(f"WARNING: {rel}:{n} installs a local path ({line}); the shared "
                         "environment is keyed on dependency files only and will not pick up "
                         "code changes there. List that package's dependencies instead.")
    return tuple(notes)


def _lines(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _has_project_table(pyproject: Path) -> bool:
    try:
        return "project" in tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DockyardError(f"pyproject.toml is not valid TOML: {exc}",
                            code="build.pyproject_invalid") from exc


def _unsupported(what: str, export: str) -> DockyardError:
    return DockyardError(
        f"{what} found but no requirements.txt: Dockyard installs Python dependencies with "
        "uv from requirements.txt, uv.lock, pyproject.toml or setup.py",
        code="build.package_manager_unsupported",
        hint=f"Export a requirements.txt and commit it: `{export}`.")
