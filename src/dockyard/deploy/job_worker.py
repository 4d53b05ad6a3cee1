"""One scheduled job invocation in a process of its own: ``python -m dockyard.deploy.job_worker
APP INVOCATION``.

The scheduler records the invocation ``PENDING`` and starts this worker in a session of its
own, so it outlives the API server. The worker takes the invocation's lock (a second worker
for the same invocation gives up), claims it (``PENDING`` → ``RUNNING``, atomically: a
canceled one is never started), runs the job through ``Runtime.run_job`` in the release of
the invocation's deployment — a deployment that goes live meanwhile does not touch it — with
its output in its own log, and records the outcome. SIGTERM (``cancel_job_invocation``)
stops the job: SIGTERM to its processes, SIGKILL after the job's grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from dockyard.deploy.services import Services
from dockyard.errors import CommandFailed
from dockyard.logs import Log, timestamp
from dockyard.paths import Home
from dockyard.store import JobInvocation

logger = logging.getLogger("dockyard.jobs")


def invocation_log(home: Home, inv: JobInvocation) -> Path:
    """``apps/<app>/logs/<deployment>/job-<job>-<invocation>.log``."""
    return home.logs(inv.app_id) / inv.deployment_id / f"job-{inv.job_name}-{inv.id}.log"


def child_groups() -> set[int]:
    """Process groups of this process's children (``proc.run`` starts each in a session)."""
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids |= {int(p) for p in (task / "children").read_text().split()}
        except OSError:
            continue
    groups = set()
    for pid in pids:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            continue
    return groups


class Canceller:
    """SIGTERM handling: signal the job's processes, SIGKILL them after ``grace``."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.grace = 10.0

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested.set()
        self.signal_all(signal.SIGTERM)
        timer = threading.Timer(self.grace, self.signal_all, (signal.SIGKILL,))
        timer.daemon = True
        timer.start()

    @staticmethod
    def signal_all(sig: int) -> None:
        for group in child_groups():
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                continue


def run_invocation(services: Services, app_id: str, inv_id: str,
                   canceller: Canceller | None = None) -> JobInvocation | None:
    """Claim and run one invocation; return it as it ended (None if it was not ours)."""
    store = services.store
    inv = store.update_invocation(store.get_invocation(app_id, inv_id), expect=("PENDING",),
                                  phase="RUNNING", started_at=timestamp(), pid=os.getpid())
    if inv is None:
        return None  # canceled before it started, or another worker has it
    canceller = canceller or Canceller()
    log = Log(invocation_log(services.home, inv))
    code, phase, error = 0, "SUCCEEDED", ""
    try:
        run_job(services, inv, log, canceller)
    except CommandFailed as exc:
        code, phase, error = exc.returncode or 1, "FAILED", exc.message
    except Exception as exc:  # noqa: BLE001 - every failure is the invocation's outcome
        code, phase, error = 1, "FAILED", getattr(exc, "message", None) or str(exc)
    if canceller.requested.is_set() or store.get_invocation(app_id, inv_id).phase == "CANCELED":
        phase, error = "CANCELED", "canceled"
    log.step(f"Invocation {inv.id} ended {phase}" + (f": {error}" if error else ""))
    log.close()
    ended = store.update_invocation(inv, expect=("RUNNING", "CANCELED"), phase=phase,
                                    completed_at=timestamp(), exit_code=code,
                                    error_message=error)
    if phase == "FAILED":
        alert_failed(services, inv, error)
    return ended


def run_job(services: Services, inv: JobInvocation, log: Log, canceller: Canceller) -> None:
    from dockyard.deploy.console import live_bindings
    from dockyard.deploy.context import open_context
    from dockyard.deploy.jobs import seconds
    from dockyard.deploy.launches import launch_for
    from dockyard.runtime import Instance

    ctx = open_context(services, inv.app_id, inv.deployment_id, deploy_log=False)
    log.add_secrets(ctx.secrets)
    job = ctx.spec.component(inv.job_name)
    binds = live_bindings(ctx)
    log.add_secrets(ctx.secrets)
    launch = launch_for(ctx, job, binds, port=None, kind="job")
    canceller.grace = float(launch.grace_seconds)
    schedule = inv.trigger.get("scheduled", {}).get("schedule", {})
    log.step(f"Running scheduled job '{inv.job_name}' (invocation {inv.id}, "
             f"cron \"{schedule.get('cron', '')}\" {schedule.get('time_zone', 'UTC')}) in "
             f"deployment {inv.deployment_id}: {launch.command.strip().splitlines()[0]}")
    canceller.install()
    inst = Instance(inv.app_id, inv.deployment_id, inv.job_name, inv.seq, None)
    services.runtime.run_job(inst, launch, log, seconds(getattr(job, "timeout", None)))


def alert_failed(services: Services, inv: JobInvocation, error: str) -> None:
    from dockyard.deploy.notify import notify

    try:
        app = services.store.get_app(inv.app_id)
        dep = services.store.get_deployment(inv.app_id, inv.deployment_id)
        notify(services, app, dep, "JOB_INVOCATION_FAILED",
               f"Job '{inv.job_name}' of {app.name} failed (invocation {inv.id}): {error}",
               component=inv.job_name)
    except Exception:  # noqa: BLE001 - an alert must never change the outcome
        logger.exception("could not send JOB_INVOCATION_FAILED")


def main(argv: list[str]) -> int:
    from dockyard.locks import job_lock_path, try_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app_id, inv_id = argv[1], argv[2]
    home = Home.default()
    services = Services.from_home(home)
    try:
        with try_lock(job_lock_path(home, inv_id)) as mine:
            if mine:
                run_invocation(services, app_id, inv_id)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
