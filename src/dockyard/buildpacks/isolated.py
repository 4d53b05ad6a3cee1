"""Run a build in a child process (``buildpacks.child``), in the app's sandbox when there is
one, with the build's own cgroup limits; the child's log streams into the build log.

What the build sandbox sees, read-write: the checkout, the release being built, and the app's
own build cache (its package cache and virtualenvs: never shared with another app, so one
app's build cannot plant code in another's). Read-only: Dockyard's interpreter and code (the
child is Dockyard's buildpack code), and the Python interpreters found on the host.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import dockyard
from dockyard.buildpacks import BuildRequest, BuildResult, BuildSettings, interpreters
from dockyard.buildpacks.child import ERROR_FILE, REQUEST_VAR, request_to_json
from dockyard.buildpacks.types import read_release_json
from dockyard.entrypoints import BUILD_CHILD, argv
from dockyard.errors import CommandFailed, DockyardError
from dockyard.isolation import cgroups
from dockyard.isolation.sandbox import Mount, Sandbox, confine
from dockyard.isolation.users import AppUser
from dockyard.logs import Log
from dockyard.proc import base_env, run

BUILD_LIMITS = cgroups.Limits(memory_bytes=4 * 2**30, cpus=2.0, pids=4096)
BUILD_TIMEOUT = 3600.0


@dataclass(frozen=True)
class BuildJail:
    """Where and as whom a build runs (None fields: no sandbox / no limits)."""

    user: AppUser | None
    cache: Path                       # the app's build cache root (``Home`` of the child)
    group: cgroups.Group | None = None


def build_isolated(req: BuildRequest, log: Log, jail: BuildJail) -> BuildResult:
    """``buildpacks.build`` in a child process; raises the child's ``DockyardError``."""
    req = replace(req, settings=replace(req.settings, python_candidates=tuple(
        req.settings.python_candidates or interpreters.candidate_paths())))
    req.release.mkdir(parents=True, exist_ok=True)
    env = {**base_env(), REQUEST_VAR: request_to_json(req), "PYTHONUNBUFFERED": "1"}
    command, child_env, fds = argv(BUILD_CHILD), env, ()
    if jail.user is not None:
        env["HOME"] = "/tmp"  # the sandbox's own
        sandbox = Sandbox(jail.user, mounts(req, jail), cwd=str(req.src), home="/tmp")
        command, child_env, fd = confine(sandbox, env, shlex.join(command))
        fds = (fd,)
    if jail.group is not None:
        jail.group.create(BUILD_LIMITS)
    try:
        run(command, log=log, env=child_env, cwd="/" if jail.user else req.src, raw=True,
            code="build.failed", what=f"the build of '{req.component}'",
            timeout=BUILD_TIMEOUT, pass_fds=fds,
            preexec_fn=(lambda: jail.group.enter(os.getpid())) if jail.group else None)
    except CommandFailed as exc:
        raise child_error(req, exc) from None
    finally:
        for fd in fds:
            os.close(fd)
        if jail.group is not None:
            jail.group.remove()
    return result_of(req)


def mounts(req: BuildRequest, jail: BuildJail) -> tuple[Mount, ...]:
    own = [Mount(str(p), str(p), True) for p in (req.src, req.release, jail.cache)]
    code = {Path(sys.prefix), Path(dockyard.__file__).resolve().parents[1]}
    code |= {prefix_of(p) for p in req.settings.python_candidates or ()}
    code |= local_indexes(base_env())
    shared = [Mount(str(p), str(p)) for p in sorted(code)
              if p.is_dir() and not str(p).startswith(("/usr/", "/etc/")) and str(p) != "/usr"]
    return tuple(own + shared)


def local_indexes(env: dict[str, str]) -> set[Path]:
    """Local directories the host's pip/uv settings point at (``PIP_FIND_LINKS=/opt/wheels``):
    the build sees them read-only, as the host's own installs do."""
    found = set()
    for key in ("PIP_FIND_LINKS", "UV_FIND_LINKS"):
        for part in env.get(key, "").replace(",", " ").split():
            path = Path(part.removeprefix("file://"))
            if path.is_absolute() and path.is_dir():
                found.add(path)
    return found


def prefix_of(interpreter: Path) -> Path:
    """``/root/.pyenv/versions/3.12.1`` for ``…/3.12.1/bin/python3``."""
    return interpreter.parent.parent


def child_error(req: BuildRequest, exc: CommandFailed) -> DockyardError:
    """The child's own error (its code, message and hint), or the exit status if it died."""
    path = req.release / ERROR_FILE
    try:
        data = json.loads(path.read_text())
        path.unlink()
    except (OSError, ValueError):
        return exc
    return CommandFailed(data["message"], code=data.get("code") or exc.code,
                         returncode=exc.returncode, tail=list(data.get("tail") or []),
                         hint=data.get("hint"))


def result_of(req: BuildRequest) -> BuildResult:
    """The ``BuildResult`` the child wrote to ``release.json``."""
    from dataclasses import fields

    raw = read_release_json(req.release)
    values = {f.name: raw.get(f.name) for f in fields(BuildResult) if f.name in raw}
    for key in ("release", "app_dir", "site_dir", "venv"):
        if values.get(key):
            values[key] = Path(str(values[key]))
    return BuildResult(**values)  # type: ignore[arg-type]


__all__ = ["BuildJail", "BuildSettings", "build_isolated"]
