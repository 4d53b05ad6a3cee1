"""``LocalRuntime``: app instances as supervisord programs on this machine.

One program per instance of each component. Each instance runs in its own writable copy of
the release's app files (a container's ephemeral filesystem), so nothing it writes can change
the release a rollback reuses. Its command and environment go into a 0600 launch file that
the launcher (``runtime.local.launch``) reads, so neither appears in supervisord's config or
in ``ps``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from dockyard.appspec.sizes import DEFAULT_SLUG, instance_size
from dockyard.entrypoints import LAUNCHER, argv
from dockyard.files import chown_tree
from dockyard.isolation import Isolation, cgroups, users
from dockyard.isolation.users import AppUser
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import run
from dockyard.runtime import Instance, Launch, State, Usage
from dockyard.runtime.local.launch import restarts
from dockyard.runtime.local.launchfile import APP_HOME, LaunchFile
from dockyard.runtime.local.supervisor import ProgramSpec, Supervisor

INSTANCE_PREFIX = "i-"


class LocalRuntime:
    """Start, watch and stop instances through supervisord (the ``Runtime`` protocol).

    supervisord's ``reloadConfig`` sees every program file at once; ``Supervisor.update``
    serializes the changes of two apps' deployments (each in its own worker process).
    """

    def __init__(self, home: Home, isolation: Isolation | None = None) -> None:
        self.home = home
        self.sup = Supervisor(home)
        self.isolation = isolation or Isolation.detect()

    # -- the Runtime protocol --------------------------------------------------------------
    def start(self, launches: Sequence[tuple[Instance, Launch]]) -> None:
        """Write each instance's files and program; supervisord starts them (they outlive
        the API server and the deploy worker)."""
        self.sup.add([self._program(inst, launch) for inst, launch in launches])

    def state(self, inst: Instance) -> State:
        info = self.sup.process_info(inst.program)
        name = str(info["statename"]) if info else ""
        return State(name) if name in State.__members__ else State.UNKNOWN

    def restarts(self, inst: Instance, since: float = 0.0) -> int:
        """Restarts recorded by the instance's launcher (crash loops, RESTART_COUNT)."""
        return restarts(self.instance_dir(inst) / "restarts.json", since)

    def stop(self, instances: Sequence[Instance]) -> None:
        """Stop (SIGTERM, SIGKILL after the grace period) and forget these instances."""
        self.sup.remove([inst.program for inst in instances])
        for inst in instances:
            self._discard(inst)

    def run_job(self, inst: Instance, launch: Launch, log: Log, timeout: float) -> None:
        """Run a job to its end here, its output in ``log``; its files go afterwards."""
        spec = self._prepare(inst, launch, record_starts=False)
        try:
            run(argv(LAUNCHER, str(spec)), log=log, cwd=spec.parent,
                code="deploy.job_failed", what=f"job '{inst.component}'", timeout=timeout)
        finally:
            self._discard(inst)

    def console(self, inst: Instance, launch: Launch) -> list[str]:
        return argv(LAUNCHER, str(self._prepare(inst, launch, record_starts=False)))

    def end_console(self, inst: Instance) -> None:
        self._discard(inst)

    def log_lines(self, inst: Instance, tail: int) -> list[str]:
        try:
            return self.log_path(inst).read_text(errors="replace").splitlines()[-tail:]
        except OSError:
            return []

    def files(self, inst: Instance) -> Path:
        """What the instance wrote (the overlay's upper layer), or its whole copy."""
        upper = self.instance_dir(inst) / "upper"
        return upper if any(upper.iterdir()) or not (self.instance_dir(inst) / "app").exists() \
            else self.instance_dir(inst) / "app"

    def usage(self, inst: Instance) -> Usage | None:
        """The instance's cgroup figures; where limits are off, its process tree's."""
        if self.isolation.limits:
            return self._group(inst).usage()
        from dockyard.runtime.local.procfs import tree_usage

        info = self.sup.process_info(inst.program)
        pid = int(info.get("pid") or 0) if info else 0
        return tree_usage(pid) if pid else None

    def running(self, app_id: str) -> set[str]:
        prefix = f"{INSTANCE_PREFIX}{app_id[:8]}-"
        return {name for name in self.sup.program_names() if name.startswith(prefix)}

    def remove_app(self, app_id: str) -> None:
        """Stop every program of the app (any deployment), drop its instance files and its
        user."""
        prefix = f"{INSTANCE_PREFIX}{app_id[:8]}-"
        self.sup.remove([name for name in self.sup.program_names() if name.startswith(prefix)])
        shutil.rmtree(self.home.instances(app_id), ignore_errors=True)
        if self.isolation.sandbox:
            users.remove(app_id)

    # -- where things are --------------------------------------------------------------------
    def instance_dir(self, inst: Instance) -> Path:
        return self.home.instances(inst.app_id) / inst.deployment_id / inst.alias

    def runtime_dir(self, inst: Instance) -> Path:
        """A short private ``XDG_RUNTIME_DIR`` (unix socket paths are limited to 107 bytes,
        and gunicorn ≥ 27 puts its control socket there)."""
        digest = hashlib.sha256(str(self.instance_dir(inst)).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dockyard-{os.getuid()}" / digest

    def log_path(self, inst: Instance) -> Path:
        return self.home.logs(inst.app_id) / inst.deployment_id / f"run-{inst.alias}.log"

    # -- internals ---------------------------------------------------------------------------
    def _prepare(self, inst: Instance, launch: Launch, *, record_starts: bool = True) -> Path:
        """The instance's directory and its 0600 launch file (the launcher does the rest)."""
        target = self.instance_dir(inst)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True, mode=0o700)
        user = self._user(inst, launch)
        for own in ("home", "upper"):
            (target / own).mkdir()
            if user:
                os.chown(target / own, user.uid, user.gid)
        if user:
            ensure_owner(launch.app_dir, user)
        sandboxed = user is not None
        if launch.rootfs is not None:  # the image's own HOME, inside its own root
            env = dict(launch.env)
        else:
            env = {**launch.env, "HOME": APP_HOME if sandboxed else str(target / "home"),
                   "XDG_RUNTIME_DIR": "/tmp" if sandboxed else str(self.runtime_dir(inst))}
            if not sandboxed:
                self.runtime_dir(inst).mkdir(parents=True, exist_ok=True, mode=0o700)
        file = LaunchFile(
            path=target / "launch.json", command=launch.command, env=env,
            release=str(launch.app_dir), instance=str(target), encrypted=list(launch.sealed),
            masks=list(launch.masks), record_starts=record_starts,
            interactive=launch.kind == "console",
            files="overlay" if os.geteuid() == 0 else "copy",
            user=asdict(user) if user else None,
            mounts=[[m, m, False] for m in launch.mounts],
            cgroup=self._cgroup(inst, launch),
            rootfs=asdict(launch.rootfs) if launch.rootfs is not None else None)
        file.write()
        self.log_path(inst).parent.mkdir(parents=True, exist_ok=True)
        return file.path

    def _program(self, inst: Instance, launch: Launch) -> ProgramSpec:
        path = self._prepare(inst, launch)
        return ProgramSpec(inst.program, argv(LAUNCHER, str(path)), cwd=str(path.parent),
                           log=str(self.log_path(inst)), startsecs=1,
                           stopwaitsecs=launch.grace_seconds)

    def _user(self, inst: Instance, launch: Launch) -> AppUser | None:
        if not self.isolation.sandbox:
            return None
        return users.ensure(inst.app_id, launch.labels.get("app", inst.app_id), self.home.root)

    def _cgroup(self, inst: Instance, launch: Launch) -> dict[str, object] | None:
        if not self.isolation.limits:
            return None
        limits = cgroups.Limits.for_size(instance_size(launch.size))
        return {"installation": cgroups.installation_id(self.home.root), "name": inst.program,
                "limits": asdict(limits), "size": launch.size or DEFAULT_SLUG}

    def _group(self, inst: Instance) -> cgroups.Group:
        return cgroups.Group(cgroups.installation_id(self.home.root), inst.program)

    def _discard(self, inst: Instance) -> None:
        """Remove an instance's files and cgroup (stopped, or a job or console that ended)."""
        shutil.rmtree(self.instance_dir(inst), ignore_errors=True)
        if self.isolation.limits:
            self._group(inst).remove()
        shutil.rmtree(self.runtime_dir(inst), ignore_errors=True)
        with contextlib.suppress(OSError):
            self.instance_dir(inst).parent.rmdir()  # the deployment's folder, once empty


def ensure_owner(app_dir: Path, user: AppUser) -> None:
    """The release's files belong to the app's user (an overlay copies a file up only for
    a writer who may write it); releases built before isolation are handed over once."""
    if app_dir.lstat().st_uid != user.uid:
        chown_tree(app_dir, user.uid, user.gid)
