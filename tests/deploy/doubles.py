"""Test doubles for the deploy core's two seams (``dockyard.runtime.Runtime``,
``dockyard.router.Router``).

``RecordingRuntime`` records every call and, unless told otherwise, runs each instance as a
real local process (``bash -c`` with the launch's environment, secrets decrypted as the
launcher would), restarting it when it exits as supervisord does, so health checks, exits and
crash loops are real. ``RecordingRouter`` records the routing table, switches and published
sites, and answers ``active``/``sessions`` from what it was told.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.proc import run
from dockyard.release.secrets import SecretBox
from dockyard.router import AppRouting, Program, ServiceCounters
from dockyard.runtime import Instance, Launch, State, Usage

STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when a test runtime stops a process


@dataclass
class Running:
    """One instance the test runtime was asked to start."""

    inst: Instance
    launch: Launch
    proc: subprocess.Popen[bytes] | None = None
    stopped: bool = False
    restarts: list[float] = field(default_factory=list)


class RecordingRuntime:
    """A ``Runtime`` that records calls; ``processes=True`` runs instances for real."""

    def __init__(self, home: Home, *, processes: bool = True, autorestart: bool = True) -> None:
        self.home = home
        self.processes = processes
        self.autorestart = autorestart
        self.box = SecretBox(home.secrets_key)
        self.calls: list[tuple[str, Any]] = []
        self.instances: dict[str, Running] = {}
        self.states: dict[str, State] = {}          # forced states, by program name
        self.jobs: list[tuple[Instance, Launch]] = []
        self.job_hooks: list[Callable[[Instance, Launch], None]] = []
        self.start_hooks: list[Callable[[list[Instance]], None]] = []
        self.lock = threading.Lock()

    # -- the Runtime protocol --------------------------------------------------------------
    def start(self, launches: Sequence[tuple[Instance, Launch]]) -> None:
        self.calls.append(("start", [inst for inst, _launch in launches]))
        for inst, launch in launches:
            running = Running(inst, launch)
            self.instances[inst.program] = running
            if self.processes:
                running.proc = self._spawn(inst, launch)
        for hook in self.start_hooks:
            hook([inst for inst, _launch in launches])

    def state(self, inst: Instance) -> State:
        with self.lock:
            if inst.program in self.states:
                return self.states[inst.program]
            running = self.instances.get(inst.program)
            if running is None:
                return State.UNKNOWN
            if running.stopped:
                return State.STOPPED
            if running.proc is None or running.proc.poll() is None:
                return State.RUNNING
            if not self.autorestart:
                return State.EXITED
            running.restarts.append(time.time())  # supervisord starts it again
            running.proc = self._spawn(inst, running.launch)
            return State.STARTING

    def restarts(self, inst: Instance, since: float = 0.0) -> int:
        running = self.instances.get(inst.program)
        return sum(1 for t in running.restarts if t >= since) if running else 0

    def stop(self, instances: Sequence[Instance]) -> None:
        self.calls.append(("stop", list(instances)))
        for inst in instances:
            running = self.instances.get(inst.program)
            if running is not None:
                running.stopped = True
                terminate(running.proc)

    def run_job(self, inst: Instance, launch: Launch, log: Log, timeout: float) -> None:
        self.calls.append(("run_job", inst))
        self.jobs.append((inst, launch))
        for hook in self.job_hooks:
            hook(inst, launch)
        run(["bash", "-c", launch.command], log=log, cwd=launch.app_dir, env=self.env(launch),
            code="deploy.job_failed", what=f"job '{inst.component}'", timeout=timeout)

    def console(self, inst: Instance, launch: Launch) -> list[str]:
        self.calls.append(("console", inst))
        return ["bash", "-c", launch.command]

    def end_console(self, inst: Instance) -> None:
        self.calls.append(("end_console", inst))

    def log_lines(self, inst: Instance, tail: int) -> list[str]:
        try:
            return self.log_path(inst).read_text(errors="replace").splitlines()[-tail:]
        except OSError:
            return []

    def files(self, inst: Instance) -> Path | None:
        running = self.instances.get(inst.program)
        return running.launch.app_dir if running else None

    def usage(self, inst: Instance) -> Usage | None:
        return None  # not measured here, as on a machine without cgroup limits

    def running(self, app_id: str) -> set[str]:
        return {name for name, r in self.instances.items()
                if r.inst.app_id == app_id and not r.stopped}

    def remove_app(self, app_id: str) -> None:
        self.calls.append(("remove_app", app_id))
        self.stop([r.inst for r in self.instances.values() if r.inst.app_id == app_id])

    # -- for tests -------------------------------------------------------------------------
    def env(self, launch: Launch) -> dict[str, str]:
        """The environment the launcher would give the program (sealed values decrypted)."""
        return {k: self.box.decrypt(v) if k in launch.sealed else v
                for k, v in launch.env.items()}

    def log_path(self, inst: Instance) -> Path:
        return self.home.logs(inst.app_id) / inst.deployment_id / f"run-{inst.alias}.log"

    def started(self) -> list[Instance]:
        return [inst for name, insts in self.calls if name == "start" for inst in insts]

    def stopped(self) -> list[Instance]:
        return [inst for name, insts in self.calls if name == "stop" for inst in insts]

    def alive(self) -> list[Instance]:
        """Instances whose process runs now."""
        return [r.inst for r in self.instances.values()
                if r.proc is not None and r.proc.poll() is None]

    def close(self) -> None:
        for running in self.instances.values():
            terminate(running.proc)

    def _spawn(self, inst: Instance, launch: Launch) -> subprocess.Popen[bytes]:
        path = self.log_path(inst)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            return subprocess.Popen(["bash", "-c", launch.command], cwd=launch.app_dir,
                                    env=self.env(launch), stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)


def terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM the process group, SIGKILL it if it outlives ``STOP_GRACE``."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()


class RecordingRouter:
    """A ``Router`` that records what the deploy core asks and answers from that record."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.table: dict[str, AppRouting] = {}
        self.ports: dict[str, dict[str, list[int]]] = {}
        self.sites: dict[tuple[str, str], Path] = {}
        self.in_flight: Callable[[str, str, list[int]], int] = lambda _a, _c, _p: 0
        self.refuse_switch: str | None = None

    def programs(self) -> list[Program]:
        return []

    def apply(self, apps: list[AppRouting]) -> None:
        self.calls.append(("apply", [a.app_id for a in apps]))
        self.table.update({a.app_id: a for a in apps})

    def switch(self, app_id: str, targets: dict[str, list[int]]) -> None:
        self.calls.append(("switch", (app_id, targets)))
        if self.refuse_switch:
            raise DockyardError(self.refuse_switch, code="router.runtime_api")
        self.ports.setdefault(app_id, {}).update({c: list(p) for c, p in targets.items()})

    def active(self, app_id: str) -> dict[str, list[int]]:
        return {c: list(p) for c, p in self.ports.get(app_id, {}).items()}

    def sessions(self, app_id: str, component: str, ports: list[int]) -> int:
        self.calls.append(("sessions", (app_id, component, list(ports))))
        return self.in_flight(app_id, component, list(ports))

    def serves_site(self, app_id: str, component: str) -> bool:
        return (app_id, component) in self.sites

    def counters(self) -> dict[str, dict[str, ServiceCounters]]:
        return {}  # no traffic passes through this router

    @property
    def request_log_path(self) -> Path:
        return Path(os.devnull)

    def publish_site(self, app_id: str, component: str, release_dir: Path) -> None:
        self.calls.append(("publish_site", (app_id, component, release_dir)))
        self.sites[(app_id, component)] = release_dir

    def remove(self, app_id: str) -> None:
        self.calls.append(("remove", app_id))
        self.table.pop(app_id, None)
        self.ports.pop(app_id, None)

    def switches(self) -> list[tuple[str, dict[str, list[int]]]]:
        return [args for name, args in self.calls if name == "switch"]
