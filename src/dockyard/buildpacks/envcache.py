"""Shared, content-keyed virtualenvs: one per (interpreter, uv, dependency files) combination.

``<build_cache>/envs/<key>/`` is created once and then only read. The key is the sha256 of
the interpreter's path and version, uv's version, the package manager, the dependency files'
contents and the UV_*/PIP_* settings, so a code-only change reuses the environment and a
changed requirements.txt builds a new one next to it (older releases keep theirs).

Atomicity: the venv is built in a temp dir under ``envs/`` and renamed into place, so a crash
never leaves a half environment at the final path; a per-key lock makes a concurrent build of
the same key wait and then reuse it. ``uv venv --relocatable`` keeps console scripts working
after that rename (their shebangs find ``python`` next to themselves). Instances run the app
with ``PATH=<venv>/bin:$PATH`` and ``VIRTUAL_ENV=<venv>``; nothing is activated or copied.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from dockyard.buildpacks.deps import DepsPlan
from dockyard.buildpacks.interpreters import Interpreter
from dockyard.buildpacks.steps import failed, run_step
from dockyard.errors import CommandFailed, DockyardError
from dockyard.locks import file_lock
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import base_env, capture

MARKER = ".dockyard-env.json"
# heroku-buildpack-python (DigitalOcean's Python buildpack) installs these before the app's
# requirements on Python 3.9-3.12. This setuptools still ships pkg_resources, which old
# gunicorn (< 21) and many older packages import at run time.
SEED = (("setuptools", "70.3.0"), ("wheel", "0.44.0"))
SEED_MAX_MINOR = (3, 12)
_PIP_TO_UV = {"PIP_INDEX_URL": "UV_INDEX_URL", "PIP_EXTRA_INDEX_URL": "UV_EXTRA_INDEX_URL",
              "PIP_FIND_LINKS": "UV_FIND_LINKS"}


@dataclass(frozen=True)
class EnvRequest:
    """Everything that decides an environment's contents (and where to remember it)."""

    home: Home
    app: Path  # the app's files, cwd for uv
    interpreter: Interpreter
    plan: DepsPlan
    env: Mapping[str, str]  # build-visible spec vars (UV_*/PIP_* settings reach uv)
    history: str  # name of the per-component "last build" record
    force: bool = False
    allow_downloads: bool = False


@functools.cache
def uv_bin() -> str:
    """The uv installed next to our interpreter (a dependency of Dockyard), never one on PATH.

    Whatever happens to be on PATH differs between a developer's shell, CI and a server's
    service manager; the project environment's own uv is the same everywhere.
    """
    here = Path(sys.executable).parent / "uv"
    if not here.is_file():
        raise DockyardError(f"uv was not found next to Dockyard's Python ({here})",
                            code="build.uv_missing",
                            hint="Run `make setup` (it syncs Dockyard's environment, uv included).")
    return str(here)


def user_uv_cache() -> Path:
    """uv's own cache directory for this user (tests and benchmarks share it to stay warm)."""
    path = Path(capture([uv_bin(), "cache", "dir"]).strip())
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def uv_version(uv: str) -> str:
    return capture([uv, "--version"]).strip()


def uv_env(home: Home, spec_env: Mapping[str, str], allow_downloads: bool) -> dict[str, str]:
    """Environment for uv commands: our base env, the spec's settings, our cache and policy."""
    env = {**base_env(), **spec_env}
    for pip_key, uv_key in _PIP_TO_UV.items():
        if pip_key in env and uv_key not in env:
            env[uv_key] = env[pip_key]
    env.pop("VIRTUAL_ENV", None)
    if "UV_FIND_LINKS" in env:  # a host setting naming a missing folder must not fail builds
        kept = [p for p in env["UV_FIND_LINKS"].replace(",", " ").split()
                if "://" in p and not p.startswith("file://") or Path(p.removeprefix("file://"))
                .exists()]
        env["UV_FIND_LINKS"] = " ".join(kept)
        if not kept:
            del env["UV_FIND_LINKS"]
    env["UV_CACHE_DIR"] = str(home.uv_cache)
    env["UV_SYSTEM_CERTS"] = "1"  # the system's trust store, as pip and git use
    # Instances read the environment read-only: compile now, or every start recompiles
    env.setdefault("UV_COMPILE_BYTECODE", "1")
    env["UV_PYTHON_DOWNLOADS"] = "automatic" if allow_downloads else "never"
    env["NO_COLOR"] = "1"
    return env


def env_state(req: EnvRequest) -> dict[str, object]:
    """What the key is made of, kept readable so a cache miss can say what changed."""
    files = {rel: _sha(req.app / rel) for rel in req.plan.files}
    settings = {k: hashlib.sha256(v.encode()).hexdigest()[:16] for k, v in req.env.items()
                if k.startswith(("UV_", "PIP_"))}
    return {"python": req.interpreter.text, "python_path": str(req.interpreter.path),
            "uv": uv_version(uv_bin()), "manager": req.plan.manager, "files": files,
            "settings": settings, "seed": [f"{n}=={v}" for n, v in seed_packages(req)]}


def seed_packages(req: EnvRequest) -> list[tuple[str, str]]:
    """What to seed: none for uv.lock (``uv sync`` keeps exactly the lock) or Python 3.13+;
    never a package the requirements name themselves (their pin wins)."""
    if req.plan.manager == "uv.lock" or req.interpreter.minor > SEED_MAX_MINOR:
        return []
    named = set(named_requirements(req.app, req.plan.files))
    return [(name, version) for name, version in SEED if name not in named]


def named_requirements(app: Path, files: tuple[str, ...]) -> list[str]:
    """Normalised project names the dependency files mention (best effort, for seeding)."""
    names = []
    for rel in files:
        path = app / rel
        if not path.is_file() or not rel.endswith(".txt"):
            continue
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            try:
                names.append(re.sub(r"[-_.]+", "-", Requirement(line).name).lower())
            except InvalidRequirement:
                continue
    return names


def state_key(state: Mapping[str, object]) -> str:
    blob = json.dumps({"layout": 1, **state}, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def ensure_env(req: EnvRequest, log: Log) -> tuple[Path, bool]:
    """Return the environment for ``req`` and whether it was reused from the cache."""
    state = env_state(req)
    key = state_key(state)
    envs = req.home.build_cache / "envs"
    final = envs / key
    (envs / ".locks").mkdir(parents=True, exist_ok=True)
    previous = _read_history(req)
    with file_lock(envs / ".locks" / f"{key}.lock"):
        if (final / MARKER).is_file() and not req.force:
            log.step(f"Reusing environment {key[:12]} ({', '.join(req.plan.files)} unchanged)")
            os.utime(final / MARKER)  # last use, for a future garbage collector
            hit = True
        else:
            log.step(f"Creating environment {key[:12]} ({_why(previous, state, req.force)})")
            _create(req, state, final, log)
            hit = False
    _write_history(req, state)
    return final, hit


def _create(req: EnvRequest, state: Mapping[str, object], final: Path, log: Log) -> None:
    uv = uv_bin()
    env = uv_env(req.home, req.env, req.allow_downloads)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
    venv = tmp / "venv"
    try:
        run_step([uv, "venv", "--relocatable", "--no-project", "--python",
                  str(req.interpreter.path), str(venv)], log=log, env=env, cwd=tmp,
                 code="build.venv_failed", what="uv venv", on_fail=lambda exc: failed(
                     exc, f"uv could not create a virtualenv with {req.interpreter.path}",
                     "Check that this interpreter runs and has its standard library."))
        python = req.interpreter.path if req.plan.manager == "uv.lock" else venv / "bin" / "python"
        _seed(req, uv, venv, env, log)
        _install(req, req.plan.install_argv(uv, python), {**env, "UV_PROJECT_ENVIRONMENT":
                                                          str(venv)}, log)
        (venv / MARKER).write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
        _swap_into_place(venv, final, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _seed(req: EnvRequest, uv: str, venv: Path, env: dict[str, str], log: Log) -> None:
    seed = seed_packages(req)
    if req.plan.manager == "uv.lock":
        return
    pinned = [n for n, _v in SEED if n not in dict(seed)]
    if pinned:
        log.child(f"{req.plan.manager} names {', '.join(pinned)}: its own version is installed")
    if req.interpreter.minor > SEED_MAX_MINOR:
        log.child(f"Python {req.interpreter.text}: setuptools and wheel are not pre-installed "
                  "(DigitalOcean's buildpack seeds them only up to 3.12)")
    if not seed:
        return
    text = " and ".join(f"{n} {v}" for n, v in seed)
    log.step(f"Installing {text} (as DigitalOcean's Python buildpack does)")
    run_step([uv, "pip", "install", "--python", str(venv / "bin" / "python"),
              *(f"{n}=={v}" for n, v in seed)], log=log, env=env, cwd=req.app,
             code="build.dependencies_failed", what="uv pip install (seed)",
             on_fail=lambda exc: failed(exc, f"could not install {text}",
                                        "Check that this host can reach the package index."))


def _install(req: EnvRequest, argv: list[str], env: dict[str, str], log: Log) -> None:
    log.step(f"Installing dependencies from {req.plan.manager} with uv")
    run_step(argv, log=log, env=env, cwd=req.app, code="build.dependencies_failed",
             what=" ".join([Path(argv[0]).name, *argv[1:3]]),
             on_fail=lambda exc: _install_failed(req.plan.manager, exc))


def _install_failed(manager: str, exc: CommandFailed) -> CommandFailed:
    if any("needs to be updated" in line for line in exc.tail):
        return failed(exc, f"uv.lock is out of date with pyproject.toml ({exc.message})",
                      "Run `uv lock` and commit uv.lock.", code="build.uv_lock_out_of_sync")
    return failed(exc, f"installing dependencies from {manager} failed ({exc.message}); "
                       "uv's error is in the build log above",
                  f"Check the package names and versions in {manager}, and that this host "
                  "can reach the package index.", code="build.dependencies_failed")


def _swap_into_place(venv: Path, final: Path, tmp: Path) -> None:
    """Rename the new env to ``final``; a forced rebuild moves the old one aside first."""
    if final.exists():
        os.rename(final, tmp / "old")
    os.rename(venv, final)


def _why(previous: Mapping[str, object] | None, state: Mapping[str, object],
         force: bool) -> str:
    if force:
        return "force rebuild requested"
    if previous is None:
        return "first build of this component"
    reasons = []
    if previous.get("python") != state["python"] or \
            previous.get("python_path") != state["python_path"]:
        reasons.append(f"Python changed from {previous.get('python')} to {state['python']}")
    if previous.get("uv") != state["uv"]:
        reasons.append(f"uv changed from {previous.get('uv')} to {state['uv']}")
    if previous.get("manager") != state["manager"]:
        reasons.append(f"dependencies now come from {state['manager']}")
    reasons += _file_changes(previous.get("files"), state["files"])
    if previous.get("settings") != state["settings"]:
        reasons.append("UV_*/PIP_* settings changed")
    return "; ".join(reasons) or "the environment is no longer in the cache"


def _file_changes(before: object, after: object) -> list[str]:
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    out = [f"{rel} {'changed' if rel in old else 'added'}" for rel in new
           if old.get(rel) != new[rel]]
    return out + [f"{rel} removed" for rel in old if rel not in new]


def _history_path(req: EnvRequest) -> Path:
    return req.home.build_cache / "history" / f"{req.history}.json"


def _read_history(req: EnvRequest) -> dict[str, object] | None:
    try:
        return json.loads(_history_path(req).read_text())
    except (OSError, ValueError):
        return None


def _write_history(req: EnvRequest, state: Mapping[str, object]) -> None:
    path = _history_path(req)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, sort_keys=True)
    os.replace(tmp, path)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"

