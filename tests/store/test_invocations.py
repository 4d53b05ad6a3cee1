"""Scheduled job invocations: one row per cron tick, recorded once even when two API servers
(or a restarted one) see the same tick, numbered per app, and moved between phases only by
whoever still expects the phase it saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import NotFound
from dockyard.store import App, JobInvocation, Store
from tests.store.conftest import race

TICK = "2026-11-30T10:00:00Z"


def record(store: Store, app: App, job: str = "report", tick: str = TICK, **kw: object
           ) -> JobInvocation:
    inv = store.record_invocation(app.id, job, "dep-1", tick, {"type": "SCHEDULED"}, **kw)  # type: ignore[arg-type]
    assert inv is not None
    return inv


def test_a_tick_is_recorded_pending_with_its_trigger(store: Store, app: App):
    inv = record(store, app)
    assert (inv.job_name, inv.phase, inv.scheduled_for, inv.seq) == ("report", "PENDING",
                                                                     TICK, 1)
    assert inv.trigger == {"type": "SCHEDULED"} and inv.completed_at == "" and not inv.done
    assert store.get_invocation(app.id, inv.id) == inv


def test_the_same_tick_is_recorded_once(store: Store, app: App):
    first = record(store, app)
    assert store.record_invocation(app.id, "report", "dep-2", TICK, {}) is None
    assert [i.id for i in store.list_invocations(app.id)] == [first.id]
    assert record(store, app, job="other").seq == 2          # another job, same tick: fine


def test_a_skipped_tick_is_done_at_once_with_its_reason(store: Store, app: App):
    inv = record(store, app, phase="SKIPPED", error_message="the previous run still runs")
    assert inv.done and inv.completed_at and inv.error_message.startswith("the previous")
    assert list(store.open_invocations()) == []


def test_numbers_count_per_app(store: Store, app: App):
    other = store.create_app("other", {"name": "other"}, "", [])
    seqs = [record(store, app, tick=f"2026-11-30T10:0{n}:00Z").seq for n in range(3)]
    assert seqs == [1, 2, 3] and record(store, other).seq == 1


def test_lists_are_newest_first_and_filter_by_job_deployment_and_phase(store: Store, app: App):
    a = record(store, app, job="a", tick="2026-11-30T10:00:00Z")
    b = record(store, app, job="b", tick="2026-11-30T10:01:00Z")
    c = store.record_invocation(app.id, "a", "dep-2", "2026-11-30T10:02:00Z", {})
    assert c is not None
    store.update_invocation(b, phase="RUNNING")
    assert [i.id for i in store.list_invocations(app.id)] == [c.id, b.id, a.id]
    assert [i.id for i in store.list_invocations(app.id, job_names=("a",))] == [c.id, a.id]
    assert [i.id for i in store.list_invocations(app.id, deployment_id="dep-2")] == [c.id]
    assert [i.id for i in store.list_invocations(app.id, phases=("RUNNING",))] == [b.id]
    assert [i.id for i in store.open_invocations()] == [a.id, b.id, c.id]
    assert store.last_scheduled(app.id, "a") == "2026-11-30T10:02:00Z"
    assert store.last_scheduled(app.id, "never") == ""


def test_an_update_with_expect_only_wins_from_the_expected_phase(store: Store, app: App):
    inv = record(store, app)
    running = store.update_invocation(inv, expect=("PENDING",), phase="RUNNING", pid=4242,
                                      started_at="2026-11-30T10:00:01Z")
    assert running is not None and (running.phase, running.pid) == ("RUNNING", 4242)
    assert store.update_invocation(inv, expect=("PENDING",), phase="CANCELED") is None
    assert store.get_invocation(app.id, inv.id).phase == "RUNNING"      # unchanged
    done = store.update_invocation(inv, phase="SUCCEEDED", exit_code=0)
    assert done is not None and done.done and done.exit_code == 0


def test_an_unknown_field_is_refused_by_name(store: Store, app: App):
    inv = record(store, app)
    with pytest.raises(ValueError, match=r"not invocation fields: \['job_name'\]"):
        store.update_invocation(inv, job_name="renamed")


def test_a_missing_invocation_says_how_to_list_them(store: Store, app: App):
    with pytest.raises(NotFound) as err:
        store.get_invocation(app.id, "nope")
    assert err.value.message == f"job invocation 'nope' not found in app '{app.id}'"
    assert "list-job-invocations" in (err.value.hint or "")


def test_invocations_go_with_their_app(store: Store, app: App):
    record(store, app)
    store.delete_app(app.id)
    assert store.list_invocations(app.id) == [] and list(store.open_invocations()) == []


def test_two_stores_racing_for_one_tick_record_it_once(store: Store, app: App, tmp_path: Path):
    results = race(store, 4, lambda s, _n: s.record_invocation(app.id, "report", "dep-1",
                                                                TICK, {}))
    assert len(results) == 4 and len([r for r in results if r is not None]) == 1
    assert len(store.list_invocations(app.id)) == 1


def test_two_workers_racing_to_start_one_invocation_one_wins(store: Store, app: App):
    inv = record(store, app)
    won = race(store, 4, lambda s, pid: s.update_invocation(inv, expect=("PENDING",),
                                                             phase="RUNNING", pid=pid))
    winners = [w for w in won if w is not None]
    assert len(won) == 4 and len(winners) == 1
    assert store.get_invocation(app.id, inv.id).pid == winners[0].pid
