"""Where app processes run, behind one protocol the deploy stage talks to.

``local`` runs each instance as a supervisord program on this machine (one unprivileged user
per app, a sandbox, cgroup limits); ``kubernetes`` runs the same releases as Deployments,
Jobs and CronJobs on a cluster. The deploy core knows only ``Runtime``, ``Instance`` and
``Launch``: what to run, never how.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from dockyard.isolation.cgroups import Usage
from dockyard.logs import Log


@dataclass(frozen=True)
class Instance:
    """One running copy of a component in one deployment (``port`` only for services)."""

    app_id: str
    deployment_id: str
    component: str
    index: int
    port: int | None

    @property
    def program(self) -> str:
        """A stable name: the supervisord program, or the pod's name prefix."""
        return f"i-{self.app_id[:8]}-{self.component}-{self.deployment_id[:8]}-{self.index}"

    @property
    def alias(self) -> str:
        return f"{self.component}-{self.index}"


@dataclass(frozen=True)
class Launch:
    """Everything one instance, job or console needs to start.

    ``env`` is the whole environment; the values of the keys in ``sealed`` are encrypted
    (``SecretBox`` tokens) and only the launcher decrypts them. ``masks`` are encrypted values
    the launcher replaces with ``***`` in what the program prints.
    """

    app_dir: Path                        # the release's app files; never written
    command: str                         # run through ``bash -c`` as App Platform does
    env: Mapping[str, str]
    sealed: Sequence[str] = ()
    masks: Sequence[str] = ()
    kind: str = "service"                # service, worker, job, console
    size: str | None = None              # instance_size_slug: memory, CPU and pids limits
    grace_seconds: int = 120             # SIGTERM, then SIGKILL after this
    image: str | None = None             # the release as an OCI image, where there is one
    mounts: Sequence[str] = ()           # host paths it needs read-only (its virtualenv …)
    labels: Mapping[str, str] = field(default_factory=dict)   # app, component, deployment


class State(StrEnum):
    """An instance's state, in supervisord's words (Kubernetes' are mapped onto these)."""

    STARTING = "STARTING"
    RUNNING = "RUNNING"
    BACKOFF = "BACKOFF"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    EXITED = "EXITED"
    FATAL = "FATAL"
    UNKNOWN = "UNKNOWN"


__all__ = ["FAILED_STATES", "Instance", "Launch", "Runtime", "State", "Usage"]

FAILED_STATES = frozenset({State.EXITED, State.FATAL, State.BACKOFF, State.STOPPED,
                           State.UNKNOWN})


class Runtime(Protocol):
    """Start, watch and stop instances; run jobs and consoles. Implementations: local, k8s."""

    def start(self, launches: Sequence[tuple[Instance, Launch]]) -> None:
        """Start these instances (they outlive the API server); return once they are asked
        to run, not once they are healthy (the health gate decides that)."""

    def state(self, inst: Instance) -> State: ...

    def restarts(self, inst: Instance, since: float = 0.0) -> int:
        """How often the instance was restarted (since ``since``, a Unix time, if given)."""

    def stop(self, instances: Sequence[Instance]) -> None:
        """Stop (SIGTERM, SIGKILL after the grace period) and forget these instances."""

    def run_job(self, inst: Instance, launch: Launch, log: Log, timeout: float) -> None:
        """Run a job to its end with its output in ``log``; raise ``CommandFailed`` if it
        fails or outlives ``timeout`` seconds."""

    def console(self, inst: Instance, launch: Launch) -> list[str]:
        """The command line that runs ``launch`` on the user's terminal (``apps console``)."""

    def end_console(self, inst: Instance) -> None: ...

    def log_lines(self, inst: Instance, tail: int) -> list[str]:
        """The last ``tail`` lines of the instance's run log."""

    def files(self, inst: Instance) -> Path | None:
        """The instance's writable files as this machine sees them (None on a cluster)."""

    def usage(self, inst: Instance) -> Usage | None:
        """CPU seconds, memory and OOM kills of the instance, where the runtime measures them."""

    def running(self, app_id: str) -> set[str]:
        """Names (``Instance.program``) of the app's instances the runtime runs now."""

    def remove_app(self, app_id: str) -> None:
        """Stop every instance of the app and drop what the runtime keeps for it."""
