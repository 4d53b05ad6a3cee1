"""App instances as supervisord programs: one program per instance of each component.

Each instance runs in its own writable copy of the release's app files (a container's
ephemeral filesystem), so nothing it writes can change the release a rollback reuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

from dockyard.entrypoints import LAUNCHER, argv
from dockyard.paths import Home
from dockyard.runtime.local.supervisor import ProgramSpec, Supervisor, render_program

FAILED_STATES = {"EXITED", "FATAL", "BACKOFF", "STOPPED", "UNKNOWN"}


@dataclass(frozen=True)
class Instance:
    app_id: str
    deployment_id: str
    component: str
    index: int
    port: int | None

    @property
    def program(self) -> str:
        return f"i-{self.app_id[:8]}-{self.component}-{self.deployment_id[:8]}-{self.index}"

    @property
    def alias(self) -> str:
        return f"{self.component}-{self.index}"


class LocalRuntime:
    """Start, watch and stop instances through supervisord.

    supervisord's ``reloadConfig`` sees every program file at once; ``Supervisor.update``
    serializes the changes of two apps' deployments (each in its own worker process).
    """

    def __init__(self, home: Home) -> None:
        self.home = home
        self.sup = Supervisor(home)

    def instance_dir(self, inst: Instance) -> Path:
        return self.home.instances(inst.app_id) / inst.deployment_id / inst.alias

    def runtime_dir(self, inst: Instance) -> Path:
        """A short private ``XDG_RUNTIME_DIR`` (unix socket paths are limited to 107 bytes,
        and gunicorn ≥ 27 puts its control socket there)."""
        digest = hashlib.sha256(str(self.instance_dir(inst)).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dockyard-{os.getuid()}" / digest

    def log_path(self, inst: Instance) -> Path:
        return self.home.logs(inst.app_id) / inst.deployment_id / f"run-{inst.alias}.log"

    def prepare(self, inst: Instance, app_dir: Path, command: str, env: dict[str, str],
                encrypted: list[str] | None = None, stopwaitsecs: int = 120,
                masks: list[str] | None = None, record_starts: bool = True) -> ProgramSpec:
        """Copy the release's files for this instance and write its launch file."""
        target = self.instance_dir(inst)
        if target.exists():
            shutil.rmtree(target)
        rundir = self.runtime_dir(inst)
        rundir.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {**env, "XDG_RUNTIME_DIR": str(rundir)}
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(app_dir, target / "app", symlinks=True)
        launch = target / "launch.json"
        fd = os.open(launch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"command": command, "env": env, "cwd": str(target / "app"),
                       "encrypted": encrypted or [], "masks": masks or [],
                       "record_starts": record_starts}, fh)
        self.log_path(inst).parent.mkdir(parents=True, exist_ok=True)
        return ProgramSpec(inst.program,
                           argv(LAUNCHER, str(launch)),
                           cwd=str(target / "app"), log=str(self.log_path(inst)),
                           startsecs=1, stopwaitsecs=stopwaitsecs)

    def start(self, programs: list[ProgramSpec]) -> None:
        """Write the program files and have supervisord start them (they outlive the API)."""
        programs_dir = self.home.supervisor / "programs"
        programs_dir.mkdir(parents=True, exist_ok=True)
        for prog in programs:
            path = programs_dir / f"{prog.name}.conf"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(render_program(self.home, prog))
            os.replace(tmp, path)
        self.sup.update()

    def state(self, inst: Instance) -> str:
        try:
            return self.sup.rpc().supervisor.getProcessInfo(inst.program)["statename"]
        except xmlrpc.client.Fault:
            return "UNKNOWN"

    def restarts(self, inst: Instance, since: float = 0.0) -> int:
        """Restarts recorded by the instance's launcher (crash-loop and RESTART_COUNT)."""
        from dockyard.runtime.local.launch import restarts

        return restarts(self.instance_dir(inst) / "restarts.json", since)

    def pid(self, inst: Instance) -> int:
        try:
            return int(self.sup.rpc().supervisor.getProcessInfo(inst.program)["pid"])
        except xmlrpc.client.Fault:
            return 0

    def stop(self, instances: list[Instance]) -> None:
        """Stop (SIGTERM, SIGKILL after the grace period) and forget these instances."""
        for inst in instances:
            path = self.home.supervisor / "programs" / f"{inst.program}.conf"
            path.unlink(missing_ok=True)
        if instances:
            self.sup.update()
        for inst in instances:
            self.discard(inst)

    def discard(self, inst: Instance) -> None:
        """Remove an instance's files (stopped, or a job that ran to its end)."""
        shutil.rmtree(self.instance_dir(inst), ignore_errors=True)
        shutil.rmtree(self.runtime_dir(inst), ignore_errors=True)
        with contextlib.suppress(OSError):
            self.instance_dir(inst).parent.rmdir()  # the deployment's folder, once empty

    def stop_programs(self, names: list[str]) -> None:
        """Stop and forget programs by name (deleting an app)."""
        for name in names:
            (self.home.supervisor / "programs" / f"{name}.conf").unlink(missing_ok=True)
        self.sup.update()

    def programs(self, app_id: str) -> list[str]:
        prefix = f"i-{app_id[:8]}-"
        return sorted(p.stem for p in (self.home.supervisor / "programs").glob(prefix + "*.conf"))
