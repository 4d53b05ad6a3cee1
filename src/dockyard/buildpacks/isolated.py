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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import dockyard
from dockyard.buildpacks import BuildRequest, BuildResult, BuildSettings, interpreters
from dockyard.buildpacks.child import ERROR_FILE, REQUEST_VAR, request_to_json
from dockyard.buildpacks.types import read_release_json
from dockyard.entrypoints import BUILD_CHILD, argv
from dockyard.errors import CommandFailed, DockyardError
from dockyard.files import read_own, real_dir
from dockyard.isolation import cgroups
from dockyard.isolation.builder import builder_argv
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
    command, child_env, fds = child_command(req, jail)
    group = jail.group
    if group is not None:
        group.create(BUILD_LIMITS)
    try:
        run(command, log=log, env=child_env, cwd="/" if jail.user else req.src, raw=True,
            code="build.failed", what=f"the build of '{req.component}'",
            timeout=BUILD_TIMEOUT, pass_fds=fds,
            preexec_fn=(lambda: group.enter(os.getpid())) if group else None)
    except CommandFailed as exc:
        raise child_error(req, exc) from None
    finally:
        for fd in fds:
            os.close(fd)
        if group is not None:
            group.remove()
    try:
        result = result_of(req)
    except (OSError, ValueError, TypeError) as exc:
        raise DockyardError(f"the build of '{req.component}' left no readable release.json "
                            f"({type(exc).__name__}): nothing of it is deployed",
                            code="build.no_result",
                            hint="Only Dockyard writes release.json; a build_command must "
                                 "leave it alone.") from None
    return confined(req, jail, result)


def child_command(req: BuildRequest, jail: BuildJail
                  ) -> tuple[list[str], dict[str, str], tuple[int, ...]]:
    """argv, environment and inherited fds of the build child: in the app's sandbox as its
    user, or (a Dockerfile, an image) as root in the build sandbox of ``isolation.builder``."""
    container = runs_buildah(req)
    if container and jail.user is not None:  # the image's files will be the app's
        req = replace(req, owner=(jail.user.uid, jail.user.gid))
    env = {**base_env(), REQUEST_VAR: request_to_json(req), "PYTHONUNBUFFERED": "1"}
    command = argv(BUILD_CHILD)
    if jail.user is None:
        return command, env, ()
    env["HOME"] = "/tmp"  # the sandbox's own
    if container:
        return builder_argv(builder_mounts(req), "/", command), env, ()
    sandbox = Sandbox(jail.user, mounts(req, jail), cwd=str(req.src), home="/tmp")
    confined, child_env, fd = confine(sandbox, env, shlex.join(command))
    return confined, child_env, (fd,)


def mounts(req: BuildRequest, jail: BuildJail) -> tuple[Mount, ...]:
    own = [Mount(str(p), str(p), True) for p in (req.src, req.release, jail.cache)]
    code = {prefix_of(p) for p in req.settings.python_candidates or ()}
    code |= local_indexes(base_env())
    return tuple(own + code_mounts(code))


def code_mounts(more: Iterable[Path] = ()) -> list[Mount]:
    """Dockyard's interpreter and code, read-only (the child is Dockyard's own code)."""
    code = {Path(sys.prefix), Path(sys.base_prefix), Path(dockyard.__file__).resolve().parents[1],
            *more}
    return [Mount(str(p), str(p)) for p in sorted(code)
            if p.is_dir() and not str(p).startswith(("/usr/", "/etc/")) and str(p) != "/usr"]


def runs_buildah(req: BuildRequest) -> bool:
    """A Dockerfile build or an image pull (buildah, as root), rather than a buildpack."""
    from dockyard.buildpacks.registry import CONTAINER_BUILDS, select

    try:
        return select(req)[0] in CONTAINER_BUILDS
    except DockyardError:
        return False  # the child says what is wrong, in the build log


def builder_mounts(req: BuildRequest) -> tuple[Mount, ...]:
    """What a container build sees: the app's own folder read-write (its checkout, the
    release, its image store: one mount, so the release's files can be hard links into the
    layer cache), Dockyard's code read-only. Never another app's, never Dockyard's state."""
    app = req.home.root
    (app / "images").mkdir(parents=True, exist_ok=True, mode=0o700)
    return (Mount(str(app), str(app), True), *code_mounts())


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
        data = json.loads(read_own(path))
        path.unlink()
    except (OSError, ValueError):
        return exc
    return CommandFailed(data["message"], code=data.get("code") or exc.code,
                         returncode=exc.returncode, tail=list(data.get("tail") or []),
                         hint=data.get("hint"))


def confined(req: BuildRequest, jail: BuildJail, result: BuildResult) -> BuildResult:
    """The child's answer names only what is the app's: its release, its build cache, and
    the host's interpreters. In a sandbox the app's user wrote ``release.json`` (a
    ``build_command`` can leave a process that rewrites it as the child exits), and what it
    names is mounted into every instance: ``"venv": "/root"`` must fail the build, not
    show ``/root`` to the app."""
    if jail.user is None:
        return result
    hosts = {prefix_of(p) for p in req.settings.python_candidates or ()}
    wrong = [f"{name} {value}" for name, value, roots in (
        ("app_dir", result.app_dir, (req.release,)),
        ("site_dir", result.site_dir, (req.release,)),
        ("venv", result.venv, (jail.cache,)),
        ("interpreter", result.interpreter and prefix_of(Path(result.interpreter)),
         (Path("/usr"), jail.cache, *hosts)),
        *(("cache", c, (jail.cache,)) for c in result.caches))
        if value and not within(Path(value), roots)]
    wrong += [f"{name} {value} is not a folder of its own (a symbolic link on the way)"
              for name, value in (("app_dir", result.app_dir), ("site_dir", result.site_dir))
              if value and within(Path(value), (req.release,))
              and not real_dir(Path(value), req.release)]
    if wrong:
        raise DockyardError(
            f"the build of '{req.component}' named paths outside its release and build cache "
            f"({'; '.join(wrong)}): nothing of it is deployed",
            code="build.outside_paths",
            hint="Only Dockyard writes release.json; a build_command must leave it alone.")
    return result


def within(path: Path, roots: Iterable[Path]) -> bool:
    """``path``, written out (no ``..``), is one of ``roots`` or below one."""
    if not path.is_absolute() or ".." in path.parts:
        return False
    return any(path == root or path.is_relative_to(root) for root in roots)


def result_of(req: BuildRequest) -> BuildResult:
    """The ``BuildResult`` the child wrote to ``release.json``."""
    from dataclasses import fields

    raw = read_release_json(req.release)
    values = {f.name: raw.get(f.name) for f in fields(BuildResult) if f.name in raw}
    for key in ("release", "app_dir", "site_dir", "venv"):
        if values.get(key):
            values[key] = Path(str(values[key]))
    return BuildResult(**values)


__all__ = ["BuildJail", "BuildSettings", "build_isolated"]
