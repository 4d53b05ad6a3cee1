"""RESTART_COUNT alerts: the restart watcher against the spec's rule, once per window."""

from __future__ import annotations

import time

import pytest

from dockyard.deploy.restarts import RestartWatcher, exceeded
from dockyard.deploy.services import Services
from dockyard.runtime import Instance
from tests.alerts.conftest import Receiver
from tests.conftest import wait_for
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


def restarted(runtime: RecordingRuntime, inst: Instance, *ages: float) -> None:
    runtime.instances[inst.program].restarts += [time.time() - age for age in ages]


def sent(services: Services, receiver: Receiver) -> list[str]:
    assert services.alerts.drain(10)
    return [str(r.body) for r in receiver.requests]


def test_more_restarts_than_the_rule_allows_alert_once_per_window(
        deployer: Deployer, services: Services, runtime: RecordingRuntime,
        receiver: Receiver):
    inst = live_instance(deployer, receiver)
    restarted(runtime, inst, 60, 50, 40, 30)
    watcher = RestartWatcher(services)
    watcher.check()
    [text] = sent(services, receiver)
    assert "web-0 of tiny restarted 4 times in the last 5 minutes" in text
    restarted(runtime, inst, 1)
    watcher.check()
    assert len(sent(services, receiver)) == 1  # the same window: not again
    [delivery] = services.store.deliveries(inst.app_id)
    assert (delivery["rule"], delivery["status"]) == ("RESTART_COUNT", "delivered")


def test_restarts_outside_the_window_and_at_the_threshold_do_not_alert(
        deployer: Deployer, services: Services, runtime: RecordingRuntime,
        receiver: Receiver):
    inst = live_instance(deployer, receiver)
    restarted(runtime, inst, 3600, 3500, 3400, 3300, 3200)  # an hour ago
    restarted(runtime, inst, 30, 20, 10)  # exactly 3: not GREATER_THAN 3
    RestartWatcher(services).check()
    assert sent(services, receiver) == []


def test_the_window_comes_from_the_rule(deployer: Deployer, services: Services,
                                        runtime: RecordingRuntime, receiver: Receiver):
    inst = live_instance(deployer, receiver, rule={**RULE, "window": "ONE_HOUR", "value": 1})
    restarted(runtime, inst, 3000, 2000)
    RestartWatcher(services).check()
    [text] = sent(services, receiver)
    assert "restarted 2 times in the last 60 minutes" in text


def test_only_live_deployments_are_watched(deployer: Deployer, services: Services,
                                           runtime: RecordingRuntime, receiver: Receiver):
    inst = live_instance(deployer, receiver, phase="SUPERSEDED")
    restarted(runtime, inst, 5, 4, 3, 2, 1)
    RestartWatcher(services).check()
    assert sent(services, receiver) == []


def test_the_watcher_thread_checks_every_interval_until_stopped(
        deployer: Deployer, services: Services, runtime: RecordingRuntime,
        receiver: Receiver):
    inst = live_instance(deployer, receiver)
    watcher = RestartWatcher(services, interval=0.05)
    watcher.start()
    try:
        restarted(runtime, inst, 4, 3, 2, 1)
        wait_for(lambda: receiver.requests, "a RESTART_COUNT alert from the watcher thread")
    finally:
        watcher.stop()
        watcher.thread.join(5)
    assert not watcher.thread.is_alive()


@pytest.mark.parametrize(("count", "alert", "fires"), [
    (4, {"operator": "GREATER_THAN", "value": 3}, True),
    (3, {"operator": "GREATER_THAN", "value": 3}, False),
    (0, {"operator": "LESS_THAN", "value": 1}, True),
    (1, {"operator": "LESS_THAN", "value": 1}, False),
    (1, {}, True),  # no operator: GREATER_THAN; no value: 0
])
def test_exceeded_follows_the_operator(count: int, alert: dict, fires: bool):  # type: ignore[type-arg]
    assert exceeded(count, alert) is fires
