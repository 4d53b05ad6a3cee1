"""CPU_UTILIZATION / MEM_UTILIZATION on stored samples: the window's average, once covered;
an alert fires when its condition starts to hold, once, and again only after it stopped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.deploy.metric_alerts import MetricAlerts, exceeded
from dockyard.deploy.notify import alert_id
from dockyard.deploy.services import Services
from dockyard.paths import Home
from dockyard.settings import Settings
from dockyard.store import Sample, Store

SPEC = {"name": "hot", "workers": [{"name": "hog", "alerts": [
    {"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": 50,
     "window": "FIVE_MINUTES"},
    {"rule": "MEM_UTILIZATION", "operator": "LESS_THAN", "value": 1, "window": "TEN_MINUTES"}]}]}


class Sent(list[tuple[str, str]]):
    pass


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, Any, Sent]:
    home = Home(tmp_path)
    store = Store(home.db)
    services = Services(home, Settings(), store)
    app = store.create_app("hot", SPEC, "", [])
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="t")
    store.update_deployment(dep, components=[{
        "name": "hog", "kind": "worker", "release": str(tmp_path), "commit": "c",
        "instances": [{"index": 0, "port": None, "program": "p"}]}])
    dep = store.set_phase(store.get_deployment(app.id, dep.id), "ACTIVE")
    sent = Sent()
    monkeypatch.setattr("dockyard.deploy.metric_alerts.notify",
                        lambda _s, _a, _d, rule, message, component=None:
                        sent.append((rule, message)))
    return services, dep, sent


def add(services: Services, dep: Any, start: float, seconds: int, cpu: float) -> None:
    services.store.add_samples([Sample(dep.app_id, dep.id, "hog", "hog-0", start + t, 10,
                                       cpu_percent=cpu, memory_percent=5.0)
                                for t in range(10, seconds + 1, 10)])


def test_cpu_fires_once_the_window_is_covered_and_only_once(setup: Any) -> None:
    services, dep, sent = setup
    alerts = MetricAlerts(services)
    add(services, dep, 1000, 240, 90.0)
    alerts.evaluate(1240)
    assert sent == []                                   # 4 of 5 minutes: not covered yet
    add(services, dep, 1240, 60, 90.0)
    alerts.evaluate(1300)
    assert [r for r, _m in sent] == ["CPU_UTILIZATION"]
    assert "hog-0 of hot: CPU averaged 90.0% over the last 5 minutes (> 50%)" in sent[0][1]
    add(services, dep, 1300, 60, 90.0)
    alerts.evaluate(1360)
    assert len(sent) == 1                               # still firing: not sent again
    add(services, dep, 1360, 300, 10.0)
    alerts.evaluate(1660)                               # resolved
    add(services, dep, 1660, 300, 95.0)
    alerts.evaluate(1960)
    assert [r for r, _m in sent] == ["CPU_UTILIZATION", "CPU_UTILIZATION"]
    key = f"{alert_id(dep.app_id, 'hog', 'CPU_UTILIZATION')}/hog-0"
    assert services.store.alert_state(dep.app_id, key)


def test_the_average_decides_not_a_single_spike(setup: Any) -> None:
    services, dep, sent = setup
    add(services, dep, 0, 270, 30.0)
    add(services, dep, 270, 30, 100.0)
    MetricAlerts(services).evaluate(300)
    assert sent == []


def test_operators_compare_as_the_spec_says() -> None:
    assert exceeded(81, {"operator": "GREATER_THAN", "value": 80})
    assert not exceeded(80, {"operator": "GREATER_THAN", "value": 80})
    assert exceeded(0.5, {"operator": "LESS_THAN", "value": 1})
    assert json.dumps(SPEC)
