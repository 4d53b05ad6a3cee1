"""RESTART_COUNT alerts (``deploy/metric_alerts.py``): an instance's restarts in the rule's
window, from the runtime, against the spec's rule; sent to the app's webhook when the
condition starts to hold, and again only after it stopped holding."""

from __future__ import annotations

import time

import pytest

from dockyard.deploy.metric_alerts import MetricAlerts, exceeded
from dockyard.deploy.services import Services
from dockyard.runtime import Instance
from tests.alerts.conftest import Receiver
from tests.deploy.conftest import Deployer, start_new, tiny_spec, webhook_to
from tests.deploy.doubles import RecordingRuntime

RULE = {"rule": "RESTART_COUNT", "operator": "GREATER_THAN", "value": 3,
        "window": "FIVE_MINUTES"}


def live_instance(deployer: Deployer, receiver: Receiver, phase: str = "ACTIVE",
                  rule: dict | None = None) -> Instance:  # type: ignore[type-arg]
    """The one instance of a deployment in ``phase`` whose spec has the restart rule."""
    deployer.services.runtime.processes = False  # type: ignore[attr-defined]
    ctx = deployer.prepared(tiny_spec(deployer.repo, alerts=[rule or RULE]))
    [inst] = start_new(ctx)
    deployer.store.set_phase(ctx.dep, phase)
    webhook_to(deployer.services, ctx.app, "RESTART_COUNT", receiver.url, component="web")
    return inst


def restarted(runtime: RecordingRuntime, inst: Instance, now: float, *ages: float) -> None:
    runtime.instances[inst.program].restarts += [now - age for age in ages]


def sent(services: Services, receiver: Receiver) -> list[str]:
    assert services.alerts.drain(10)
    return [str(r.body["message"]) for r in receiver.requests]


@pytest.fixture
def firing(deployer: Deployer, services: Services, runtime: RecordingRuntime,
           receiver: Receiver) -> tuple[MetricAlerts, Instance, float]:
    """Four restarts in the last minute, evaluated once: one alert sent."""
    now = time.time()
    inst = live_instance(deployer, receiver)
    restarted(runtime, inst, now, 40, 30, 20, 10)
    alerts = MetricAlerts(services)
    alerts.evaluate(now)
    return alerts, inst, now


def test_more_restarts_than_allowed_alert_once_while_it_holds(
        firing: tuple[MetricAlerts, Instance, float], services: Services,
        runtime: RecordingRuntime, receiver: Receiver):
    alerts, inst, now = firing
    [text] = sent(services, receiver)
    assert "web-0 of tiny restarted 4 times in the last 5 minutes (> 3)" in text
    restarted(runtime, inst, now, 1)
    alerts.evaluate(now)
    MetricAlerts(services).evaluate(now)  # a restarted server remembers it was sent
    assert len(sent(services, receiver)) == 1
    [delivery] = services.store.deliveries(inst.app_id)
    assert (delivery["rule"], delivery["status"]) == ("RESTART_COUNT", "delivered")


def test_an_alert_fires_again_only_after_the_condition_stopped_holding(
        firing: tuple[MetricAlerts, Instance, float], services: Services,
        runtime: RecordingRuntime, receiver: Receiver):
    alerts, inst, now = firing
    alerts.evaluate(now + 600)  # those restarts left the window: the condition stopped
    restarted(runtime, inst, now + 600, 4, 3, 2, 1)
    alerts.evaluate(now + 600)
    assert len(sent(services, receiver)) == 2


def test_restarts_outside_the_window_and_at_the_threshold_do_not_alert(
        deployer: Deployer, services: Services, runtime: RecordingRuntime,
        receiver: Receiver):
    now = time.time()
    inst = live_instance(deployer, receiver)
    restarted(runtime, inst, now, 3600, 3500, 3400, 3300, 3200)  # an hour ago
    restarted(runtime, inst, now, 30, 20, 10)  # exactly 3: not GREATER_THAN 3
    MetricAlerts(services).evaluate(now)
    assert sent(services, receiver) == []


def test_the_window_comes_from_the_rule(deployer: Deployer, services: Services,
                                        runtime: RecordingRuntime, receiver: Receiver):
    now = time.time()
    inst = live_instance(deployer, receiver, rule={**RULE, "window": "ONE_HOUR", "value": 1})
    restarted(runtime, inst, now, 3000, 2000)
    MetricAlerts(services).evaluate(now)
    [text] = sent(services, receiver)
    assert "restarted 2 times in the last 1 hour (> 1)" in text


def test_only_live_deployments_are_watched(deployer: Deployer, services: Services,
                                           runtime: RecordingRuntime, receiver: Receiver):
    now = time.time()
    inst = live_instance(deployer, receiver, phase="SUPERSEDED")
    restarted(runtime, inst, now, 5, 4, 3, 2, 1)
    MetricAlerts(services).evaluate(now)
    assert sent(services, receiver) == []


@pytest.mark.parametrize(("count", "alert", "fires"), [
    (4, {"operator": "GREATER_THAN", "value": 3}, True),
    (3, {"operator": "GREATER_THAN", "value": 3}, False),
    (0, {"operator": "LESS_THAN", "value": 1}, True),
    (1, {"operator": "LESS_THAN", "value": 1}, False),
    (1, {}, True),  # no operator: GREATER_THAN; no value: 0
])
def test_exceeded_follows_the_operator(count: int, alert: dict, fires: bool):  # type: ignore[type-arg]
    assert exceeded(count, alert) is fires
