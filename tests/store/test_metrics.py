"""Metric samples and metric alert states in SQLite: a window of samples by app, component
and instance, pruning by age, and one firing state per alert key."""

from __future__ import annotations

from dockyard.store import App, Sample, Store


def sample(app: App, at: float, component: str = "web", instance: str = "web-0",
           **figures: float) -> Sample:
    return Sample(app.id, "dep-1", component, instance, at, 60.0, **figures)  # type: ignore[arg-type]


def test_samples_read_back_with_every_figure(store: Store, app: App):
    full = Sample(app.id, "dep-1", "web", "", 1000.0, 60.0, cpu_percent=12.5,
                  memory_bytes=2**20, memory_percent=3.1, restarts=2, requests=100, r1xx=0,
                  r2xx=90, r3xx=5, r4xx=4, r5xx=1, bytes_in=10, bytes_out=20,
                  latency_p95_ms=80.0, latency_avg_ms=20.5)
    store.add_samples([full])
    assert store.samples(app.id, 0) == [full]


def test_a_window_is_open_at_the_start_and_closed_at_the_end_oldest_first(store: Store,
                                                                          app: App):
    store.add_samples([sample(app, t) for t in (300.0, 100.0, 200.0, 400.0)])
    assert [s.at for s in store.samples(app.id, 100.0, until=300.0)] == [200.0, 300.0]
    assert [s.at for s in store.samples(app.id, 0)] == [100.0, 200.0, 300.0, 400.0]


def test_samples_filter_by_component_and_instance_and_stay_per_app(store: Store, app: App):
    other = store.create_app("other", {"name": "other"}, "", [])
    store.add_samples([sample(app, 1, "web", "web-0"), sample(app, 2, "web", "web-1"),
                       sample(app, 3, "web", ""), sample(app, 4, "worker", "worker-0"),
                       sample(other, 5, "web", "web-0")])
    assert [s.at for s in store.samples(app.id, 0, component="web")] == [1, 2, 3]
    assert [s.at for s in store.samples(app.id, 0, component="web", instance="")] == [3]
    assert [s.at for s in store.samples(app.id, 0, instance="web-1")] == [2]
    assert [s.at for s in store.samples(other.id, 0)] == [5]


def test_pruning_drops_only_older_samples_and_counts_them(store: Store, app: App):
    store.add_samples([sample(app, t) for t in (10.0, 20.0, 30.0)])
    assert store.prune_samples(before=20.0) == 1
    assert [s.at for s in store.samples(app.id, 0)] == [20.0, 30.0]
    store.add_samples([])                                        # nothing: no error
    assert store.prune_samples(before=0) == 0


def test_samples_go_with_their_app(store: Store, app: App):
    store.add_samples([sample(app, 1)])
    store.set_alert_state(app.id, "cpu", True, 95.0, 1.0)
    store.delete_app(app.id)
    assert store.samples(app.id, 0) == [] and not store.alert_state(app.id, "cpu")


def test_an_alert_state_is_off_until_set_and_replaced_in_place(store: Store, app: App):
    assert store.alert_state(app.id, "CPU_UTILIZATION/web") is False
    store.set_alert_state(app.id, "CPU_UTILIZATION/web", True, 91.0, 100.0)
    assert store.alert_state(app.id, "CPU_UTILIZATION/web") is True
    assert store.alert_state(app.id, "MEM_UTILIZATION/web") is False
    store.set_alert_state(app.id, "CPU_UTILIZATION/web", False, 10.0, 200.0)
    assert store.alert_state(app.id, "CPU_UTILIZATION/web") is False
    rows = store._query("SELECT value, changed_at FROM alert_states")
    assert [tuple(r) for r in rows] == [(10.0, 200.0)]
