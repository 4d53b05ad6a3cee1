"""What the runtime is asked to run for a component: its command and its environment, with
the spec's values sealed (encrypted) until the launcher starts the program."""

from __future__ import annotations

from typing import Any

from dockyard.deploy.context import DeployContext
from dockyard.errors import DockyardError
from dockyard.release.bindings import Bindings
from dockyard.release.environment import run_env
from dockyard.release.record import ComponentRecord
from dockyard.runtime import Launch, RootFs

DEFAULT_GRACE_SECONDS = 120
CONSOLE_SHELL = "exec bash -l"   # a console's command when the user gives none


def run_command(comp: Any, record: ComponentRecord) -> str:
    """The spec's ``run_command``, else what the build detected (Procfile, Django …)."""
    command = getattr(comp, "run_command", None) or record.default_run_command
    if not command:
        raise DockyardError(f"{record.kind} '{comp.name}' has no run_command and none was "
                            "detected (no Procfile web: line, no Django wsgi module)",
                            code="deploy.no_run_command",
                            hint=f"Set run_command for '{comp.name}' in the spec.")
    return str(command)


def launch_for(ctx: DeployContext, comp: Any, binds: Bindings, *, port: int | None,
               kind: str, command: str | None = None) -> Launch:
    """The ``Launch`` of one instance, job or console of ``comp`` in this deployment."""
    record = ctx.components[comp.name]
    if record.app_dir is None:
        raise DockyardError(f"{record.kind} '{comp.name}' has no app files to run",
                            code="deploy.no_app_files")
    env, keys = run_env(ctx.spec, comp, bindings=binds, port=port, build=record,
                        reveal=ctx.reveal)
    sealed = [k for k in keys if env.get(k)]
    env = {k: ctx.seal(v) if k in sealed else v for k, v in env.items()}
    termination = getattr(comp, "termination", None)
    grace = getattr(termination, "grace_period_seconds", None) or DEFAULT_GRACE_SECONDS
    rootfs = rootfs_of(comp, record, command, kind)
    if rootfs is None:
        command = command or run_command(comp, record)
    else:  # empty: the image's ENTRYPOINT + CMD
        command = command or getattr(comp, "run_command", None) or ""
        if kind == "console" and command == CONSOLE_SHELL and rootfs.shell != "/bin/bash":
            command = f"exec {rootfs.shell} -l"
    return Launch(app_dir=record.app_dir, command=command,
                  env=env, sealed=tuple(sealed), rootfs=rootfs,
                  # a console is a terminal: its output is the user's own, not a log
                  masks=() if kind == "console" else tuple(ctx.seal(v) for v in ctx.secrets),
                  kind=kind,
                  size=getattr(comp, "instance_size_slug", None), grace_seconds=int(grace),
                  mounts=tuple(record.run_mounts),
                  labels={"app": ctx.app.name, "component": comp.name,
                          "deployment": ctx.dep.id})


def rootfs_of(comp: Any, record: ComponentRecord, command: str | None, kind: str
              ) -> RootFs | None:
    """How an image's release runs: ``run_command`` (or a console's command) through its
    shell, else its ENTRYPOINT + CMD; None for a buildpack's release."""
    image = record.rootfs
    if image is None:
        return None
    rootfs = RootFs(workdir=str(image.get("workdir") or "/"),
                    argv=(*image.get("entrypoint", []), *image.get("cmd", [])),
                    shell=image.get("shell"))
    wanted = command or getattr(comp, "run_command", None)
    if wanted and not rootfs.shell:
        raise DockyardError(f"the image of '{comp.name}' has no shell (/bin/bash or /bin/sh) "
                            f"to run {'the command' if kind == 'console' else 'run_command'}",
                            code="deploy.image_no_shell",
                            hint="Remove run_command to run the image's ENTRYPOINT and CMD.")
    if not wanted and not rootfs.argv:
        raise DockyardError(f"the image of '{comp.name}' has no ENTRYPOINT or CMD and the spec "
                            "has no run_command", code="deploy.no_run_command",
                            hint=f"Set run_command for '{comp.name}' in the spec.")
    return rootfs
