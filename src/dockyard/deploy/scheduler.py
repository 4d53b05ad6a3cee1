"""Scheduled jobs (``kind: SCHEDULED``): run each on its cron schedule in the live release.

A thread of the API server (``Platform.start``) looks at every app's active deployment once
a second. When a job's newest tick (in its ``time_zone``) is newer than the last one
recorded, the tick is recorded first — one row per tick, unique, so a restarted server can
neither lose nor repeat it — and then run by a job worker process of its own
(``deploy.job_worker``), detached, which survives the API server and holds the invocation's
lock while it runs. One invocation at a time, as on DigitalOcean: a tick due while the
previous invocation still runs is recorded ``SKIPPED`` and not started.

Ticks missed while the server was down are not caught up, except the newest one when it is
less than ``MISFIRE_GRACE`` old (a quick restart loses nothing).
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dockyard.appspec.cron import latest_tick
from dockyard.deploy.services import Services
from dockyard.entrypoints import JOB_WORKER, argv
from dockyard.locks import job_lock_held
from dockyard.logs import timestamp
from dockyard.store import App, Deployment, JobInvocation
from dockyard.store.invocations import OPEN_PHASES

logger = logging.getLogger("dockyard.scheduler")
MISFIRE_GRACE = 60.0
INTERRUPTED = "interrupted: its job worker stopped before the job ended"


def utc(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    time_zone: str | None

    @property
    def trigger(self) -> dict[str, Any]:
        schedule = {"cron": self.cron, "time_zone": self.time_zone or "UTC"}
        return {"type": "SCHEDULE", "scheduled": {"schedule": schedule}}


def scheduled_jobs(spec: dict[str, Any]) -> list[ScheduledJob]:
    """The spec's SCHEDULED jobs (the spec as stored: checked already)."""
    out = []
    for job in spec.get("jobs") or []:
        schedule = job.get("schedule") or {}
        if job.get("kind") == "SCHEDULED" and schedule.get("cron"):
            out.append(ScheduledJob(job["name"], str(schedule["cron"]),
                                    schedule.get("time_zone")))
    return out


def spawn(services: Services, inv: JobInvocation) -> subprocess.Popen[bytes]:
    """The job worker of one invocation, in its own session: it outlives the API server."""
    return subprocess.Popen(argv(JOB_WORKER, inv.app_id, inv.id), stdin=subprocess.DEVNULL,
                            start_new_session=True)


class Scheduler:
    """Records due ticks and starts their job workers; ``tick(now)`` is one look."""

    def __init__(self, services: Services, *, interval: float = 1.0,
                 clock: Callable[[], float] = time.time,
                 launch: Callable[[Services, JobInvocation], Any] = spawn) -> None:
        self.services = services
        self.interval = interval
        self.clock = clock
        self.launch = launch
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="job-scheduler")

    def start(self) -> None:
        self.recover()
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def loop(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - keep scheduling
                logger.exception("scheduler tick failed")

    # -- one look at every app ---------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[JobInvocation]:
        """Record (and start) every tick due at ``now``; return what was recorded."""
        now = self.clock() if now is None else now
        self.children = [c for c in self.children if c.poll() is None]  # reap
        store = self.services.store
        recorded = []
        for app in store.list_apps():
            active = store.list_deployments(app.id, phases=("ACTIVE",))
            if not active:
                continue
            built = {c["name"] for c in active[0].components}
            spec = store.spec_version(app.id, active[0].spec_version)
            for job in scheduled_jobs(spec):
                if job.name in built:
                    inv = self.consider(app, active[0], job, now)
                    if inv is not None:
                        recorded.append(inv)
        return recorded

    def consider(self, app: App, dep: Deployment, job: ScheduledJob, now: float
                 ) -> JobInvocation | None:
        """Record the job's due tick (once), and run it unless the previous one still runs."""
        store = self.services.store
        due = latest_tick(job.cron, job.time_zone, now)
        if due is None or now - due > MISFIRE_GRACE:
            return None
        since = max(store.last_scheduled(app.id, job.name), dep.phase_last_updated_at)
        if utc(due) <= since:
            return None
        running = store.list_invocations(app.id, job_names=(job.name,), phases=OPEN_PHASES)
        if running:
            return store.record_invocation(
                app.id, job.name, dep.id, utc(due), job.trigger, phase="SKIPPED",
                error_message=f"not started: invocation {running[0].id} was still "
                              f"{running[0].phase.lower()} (one invocation at a time)")
        inv = store.record_invocation(app.id, job.name, dep.id, utc(due), job.trigger)
        if inv is not None:
            logger.info("starting job %s of %s (invocation %s)", job.name, app.name, inv.id)
            child = self.launch(self.services, inv)
            if isinstance(child, subprocess.Popen):
                self.children.append(child)
        return inv

    # -- after a restart ---------------------------------------------------------------------
    def recover(self) -> None:
        """Invocations a previous server left open: a RUNNING one whose worker still holds
        its lock goes on; one whose worker is gone ends FAILED; a PENDING one whose worker
        never started is started now (it was recorded, never run)."""
        store = self.services.store
        for inv in store.open_invocations():
            if job_lock_held(self.services.home, inv.id):
                continue
            if inv.phase == "PENDING":
                child = self.launch(self.services, inv)
                if isinstance(child, subprocess.Popen):
                    self.children.append(child)
                continue
            store.update_invocation(inv, expect=OPEN_PHASES, phase="FAILED",
                                    completed_at=timestamp(), error_message=INTERRUPTED)
