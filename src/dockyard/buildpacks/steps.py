"""Build steps shared by the buildpacks: copy the app, the build env, build_command,
collectstatic.

A build never sees Dockyard's own environment: it starts from ``proc.base_env()`` and adds the
spec's build-visible variables, like a fresh builder container would.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from dockyard.buildpacks.detect import find_manage_py
from dockyard.buildpacks.types import BuildRequest
from dockyard.errors import CommandFailed
from dockyard.logs import Log
from dockyard.proc import base_env, capture, run

# heroku-buildpack-python never imports these user vars into a build (§12).
BLOCKED_ENV = ("PATH", "CPATH", "CPPATH", "LD_PRELOAD", "LIBRARY_PATH", "LD_LIBRARY_PATH",
               "PYTHONHOME")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def run_step(argv: Sequence[str], *, log: Log, code: str, what: str,
             on_fail: Callable[[CommandFailed], CommandFailed], cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> list[str]:
    """``proc.run``, turning a failure into the fresh error ``on_fail`` builds.

    The new error is raised outside the ``except`` block, so it carries no traceback into
    ``proc.run``'s frame: the child's pipe is released now, not when the GC breaks a cycle.
    """
    failure: CommandFailed | None = None
    try:
        return run(argv, log=log, cwd=cwd, env=env, code=code, what=what)
    except CommandFailed as exc:
        failure = on_fail(exc)
    raise failure


def copy_app(src: Path, dest: Path) -> Path:
    """Copy the source tree (symlinks as links, no ``.git``) into ``dest``."""
    shutil.copytree(src, dest, symlinks=True,
                    ignore=lambda _d, names: [n for n in names if n == ".git"])
    return dest


def build_env(req: BuildRequest, venv: Path | None, log: Log) -> dict[str, str]:
    """base env + spec build env (minus blocked keys) + the venv first on PATH."""
    env = base_env()
    blocked = sorted(k for k in req.env if k in BLOCKED_ENV)
    if blocked:
        log.step(f"Ignoring build variables {', '.join(blocked)}: the platform sets them")
    env.update({k: v for k, v in req.env.items() if k not in BLOCKED_ENV})
    env["APP_PLATFORM_COMPONENT_TYPE"] = req.kind
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.pop("VIRTUAL_ENV", None)
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}:{env.get('PATH') or DEFAULT_PATH}"
    return env


def run_build_command(req: BuildRequest, cwd: Path, env: dict[str, str], log: Log) -> None:
    """``bash -c build_command`` in the app dir; a non-zero exit fails the build."""
    if not req.build_command:
        return
    log.step(f"Running build_command: {req.build_command}")
    run_step(["bash", "-c", req.build_command], log=log, cwd=cwd, env=env,
             code="build.command_failed", what="build_command", on_fail=lambda exc: failed(
                 exc, f"build_command of component '{req.component}' exited with status "
                      f"{exc.returncode}: {req.build_command}",
                 "Its output is in the build log above. Run the command in a fresh checkout "
                 "of the source_dir to reproduce it."))


def collectstatic(app: Path, env: dict[str, str], venv: Path, log: Log) -> bool:
    """Django's collectstatic, skipped by the same rules as the Python buildpack (§12)."""
    flag = env.get("DISABLE_COLLECTSTATIC")
    if flag is not None and flag != "0":
        log.step(f"Skipping collectstatic: DISABLE_COLLECTSTATIC={flag}")
        return False
    manage = find_manage_py(app)
    if manage is None:
        return False  # not a Django app: nothing to say
    python = str(venv / "bin" / "python")
    try:
        capture([python, "-c", "import django"], cwd=app, env=env)
    except CommandFailed:
        log.step("Skipping collectstatic: django is not installed")
        return False
    rel = str(manage.relative_to(app))
    log.step(f"Running python {rel} collectstatic --noinput")
    run_step([python, rel, "collectstatic", "--noinput", "--traceback"], log=log, cwd=app,
             env={"PYTHONPATH": ".", **env}, code="build.collectstatic_failed",
             what="collectstatic", on_fail=lambda exc: failed(
                 exc, f"python {rel} collectstatic exited with status {exc.returncode}",
                 "The traceback is in the build log above: check STATIC_ROOT and "
                 "STATICFILES_DIRS in settings, or set DISABLE_COLLECTSTATIC=1 with scope "
                 "BUILD_TIME to skip this step."))
    return True


def failed(exc: CommandFailed, message: str, hint: str, code: str | None = None
           ) -> CommandFailed:
    """A fresh ``CommandFailed`` with our words and the child's exit status and output."""
    return CommandFailed(message, code=code or exc.code, returncode=exc.returncode,
                         tail=list(exc.tail), hint=hint)
