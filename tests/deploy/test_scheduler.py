"""The scheduler's decisions on a clock the test advances: which ticks are recorded, which
are skipped, and that a restarted scheduler neither loses nor repeats one (real store)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dockyard.appspec.cron import cron_problem, latest_tick, next_tick
from dockyard.deploy.scheduler import Scheduler, scheduled_jobs
from dockyard.deploy.services import Services
from dockyard.paths import Home
from dockyard.settings import Settings
from dockyard.store import JobInvocation, Store

SPEC = {"name": "cronapp", "jobs": [
    {"name": "tick", "kind": "SCHEDULED", "schedule": {"cron": "*/5 * * * *",
                                                         "time_zone": "Asia/Kolkata"}},
    {"name": "nightly", "kind": "SCHEDULED", "schedule": {"cron": "30 2 * * *",
                                                            "time_zone": "Asia/Kolkata"}},
    {"name": "migrate", "kind": "PRE_DEPLOY"}]}


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Harness:
    """A store with one live deployment of SPEC, and a scheduler whose launches are kept."""

    def __init__(self, root: Path) -> None:
        self.home = Home(root)
        self.store = Store(self.home.db)
        self.services = Services(self.home, Settings(), self.store)
        self.app = self.store.create_app("cronapp", SPEC, "", [])
        dep = self.store.create_deployment(self.app, phase="PENDING_BUILD", cause="test")
        self.store.update_deployment(dep, components=[
            {"name": "tick", "kind": "job"}, {"name": "nightly", "kind": "job"}])
        self.dep = self.store.set_phase(self.store.get_deployment(self.app.id, dep.id),
                                        "ACTIVE")
        self.launched: list[JobInvocation] = []

    def scheduler(self) -> Scheduler:
        return Scheduler(self.services, launch=lambda _s, inv: self.launched.append(inv))

    def finish(self, inv: JobInvocation) -> None:
        self.store.update_invocation(inv, phase="SUCCEEDED", completed_at="x")


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_a_due_tick_is_recorded_and_started_once(harness: Harness) -> None:
    sched = harness.scheduler()
    live = datetime.fromisoformat(harness.dep.phase_last_updated_at.replace("Z", "+00:00"))
    first = latest_tick("*/5 * * * *", "Asia/Kolkata", live.timestamp() + 300)
    assert first is not None
    recorded = sched.tick(first + 1)
    assert [i.job_name for i in recorded] == ["tick"]
    assert sched.tick(first + 2) == [] and sched.tick(first + 30) == []
    assert [i.id for i in harness.launched] == [recorded[0].id]
    inv = harness.store.get_invocation(harness.app.id, recorded[0].id)
    assert inv.phase == "PENDING" and inv.trigger["type"] == "SCHEDULE"
    assert inv.trigger["scheduled"]["schedule"]["time_zone"] == "Asia/Kolkata"


def test_a_tick_due_while_the_previous_runs_is_skipped(harness: Harness) -> None:
    sched = harness.scheduler()
    now = at("2030-01-01T00:00:30")
    first = sched.tick(now)[0]
    harness.store.update_invocation(first, phase="RUNNING")
    second = sched.tick(now + 300)
    assert [i.phase for i in second] == ["SKIPPED"]
    assert first.id in second[0].error_message and len(harness.launched) == 1
    harness.finish(harness.store.get_invocation(harness.app.id, first.id))
    third = sched.tick(now + 600)
    assert [i.phase for i in third] == ["PENDING"] and len(harness.launched) == 2


def test_a_restarted_scheduler_neither_loses_nor_repeats_a_tick(harness: Harness) -> None:
    now = at("2030-01-01T00:05:10")
    harness.scheduler().tick(now)
    again = harness.scheduler()  # a new API server: nothing in memory
    again.recover()              # the PENDING one was recorded, never run: start it
    assert again.tick(now + 5) == []
    assert len(harness.store.list_invocations(harness.app.id)) == 1
    assert len(harness.launched) == 2 and harness.launched[0].id == harness.launched[1].id


def test_a_restart_after_the_grace_does_not_catch_up_old_ticks(harness: Harness) -> None:
    sched = harness.scheduler()
    sched.tick(at("2030-01-01T00:00:05"))
    assert sched.tick(at("2030-01-01T00:09:50")) == []   # 00:05 was missed by > 60 s
    assert len(sched.tick(at("2030-01-01T00:10:20"))) == 1


def test_the_time_zone_decides_when_a_daily_job_runs(harness: Harness) -> None:
    sched = harness.scheduler()
    recorded = sched.tick(at("2030-01-01T21:00:20"))    # 02:30 in Kolkata (UTC+5:30)
    assert {i.job_name for i in recorded} == {"tick", "nightly"}
    nightly = next(i for i in recorded if i.job_name == "nightly")
    assert nightly.scheduled_for == "2030-01-01T21:00:00Z"


def test_a_job_ended_by_a_lost_worker_fails_on_recovery(harness: Harness) -> None:
    inv = harness.scheduler().tick(at("2030-01-01T00:00:30"))[0]
    harness.store.update_invocation(inv, phase="RUNNING", pid=999999)
    harness.scheduler().recover()
    ended = harness.store.get_invocation(harness.app.id, inv.id)
    assert ended.phase == "FAILED" and "interrupted" in ended.error_message


def test_only_scheduled_jobs_with_a_cron_are_scheduled() -> None:
    jobs: dict[str, Any] = {"jobs": [*SPEC["jobs"], {"name": "x", "kind": "SCHEDULED"}]}
    assert [j.name for j in scheduled_jobs(jobs)] == ["tick", "nightly"]


def test_cron_expressions_are_checked_and_macros_understood() -> None:
    assert cron_problem("*/15 * * * *") is None and cron_problem("@daily") is None
    assert cron_problem("61 * * * *") is not None
    assert next_tick("@hourly", "UTC", at("2030-01-01T10:20:00")) == at("2030-01-01T11:00:00")
