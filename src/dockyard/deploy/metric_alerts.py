"""Metric alert rules: ``CPU_UTILIZATION``, ``MEM_UTILIZATION`` and ``RESTART_COUNT``.

A component rule ``{rule, operator, value, window}`` is checked per instance of the live
deployment after every metrics round. CPU and memory compare the *average* over the window
(DigitalOcean: "the average usage must exceed the threshold for the interval"), once the
instance's samples cover the window; restarts count the launcher's restarts in the window.
An alert fires when its condition starts to hold and is not sent again until it has stopped
holding: the state is kept in the store, so a restarted API server does not repeat it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from dockyard.deploy.context import instances_of
from dockyard.deploy.notify import alert_id, notify, spec_rules
from dockyard.deploy.services import Services
from dockyard.release.record import records_of
from dockyard.runtime import Instance
from dockyard.store import App, Deployment

logger = logging.getLogger("dockyard.alerts")
WINDOWS = {"FIVE_MINUTES": 300, "TEN_MINUTES": 600, "THIRTY_MINUTES": 1800, "ONE_HOUR": 3600,
           "UNSPECIFIED_WINDOW": 300}
WINDOW_TEXT = {300: "5 minutes", 600: "10 minutes", 1800: "30 minutes", 3600: "1 hour"}
FIELDS = {"CPU_UTILIZATION": "cpu_percent", "MEM_UTILIZATION": "memory_percent"}
RULES = (*FIELDS, "RESTART_COUNT")
COVERAGE = 0.9   # share of the window the samples must cover before an average counts


def exceeded(value: float, alert: dict[str, Any]) -> bool:
    threshold = float(alert.get("value") or 0)
    if alert.get("operator") == "LESS_THAN":
        return value < threshold
    return value > threshold


def window_of(alert: dict[str, Any]) -> int:
    return WINDOWS.get(str(alert.get("window") or "UNSPECIFIED_WINDOW"), 300)


@dataclass(frozen=True)
class Check:
    app: App
    dep: Deployment
    component: str
    rule: str
    alert: dict[str, Any]

    @property
    def window(self) -> int:
        return window_of(self.alert)


class MetricAlerts:
    def __init__(self, services: Services) -> None:
        self.services = services

    def evaluate(self, now: float) -> None:
        store = self.services.store
        for app in store.list_apps():
            for dep in store.list_deployments(app.id, phases=("ACTIVE",)):
                rules = spec_rules(store.spec_version(app.id, dep.spec_version))
                for (component, rule), alert in rules.items():
                    if component is not None and rule in RULES:
                        self.check(Check(app, dep, component, rule, alert), now)

    def check(self, check: Check, now: float) -> None:
        records = [r for r in records_of(check.dep.components) if r.name == check.component]
        for record in records:
            for inst in instances_of(check.app.id, check.dep.id, record):
                value = self.value(check, inst, now)
                if value is not None:
                    self.update(check, inst, value, now)

    def value(self, check: Check, inst: Instance, now: float) -> float | None:
        """The rule's figure for the instance over its window; None until it is known."""
        if check.rule == "RESTART_COUNT":
            return float(self.services.runtime.restarts(inst, now - check.window))
        field = FIELDS[check.rule]
        samples = [s for s in self.services.store.samples(
            check.app.id, now - check.window, until=now, component=inst.component,
            instance=inst.alias) if s.deployment_id == check.dep.id]
        figures: list[tuple[float, float]] = [(float(getattr(s, field)), s.seconds)
                                              for s in samples if getattr(s, field) is not None]
        covered = sum(seconds for _v, seconds in figures)
        if not figures or covered < COVERAGE * check.window:
            return None
        return sum(v * seconds for v, seconds in figures) / covered

    def update(self, check: Check, inst: Instance, value: float, now: float) -> None:
        store = self.services.store
        key = f"{alert_id(check.app.id, check.component, check.rule)}/{inst.alias}"
        breach = exceeded(value, check.alert)
        if breach == store.alert_state(check.app.id, key):
            return
        store.set_alert_state(check.app.id, key, breach, value, now)
        if breach:
            notify(self.services, check.app, check.dep, check.rule, message(check, inst, value),
                   component=check.component)


def message(check: Check, inst: Instance, value: float) -> str:
    op = "<" if check.alert.get("operator") == "LESS_THAN" else ">"
    limit = float(check.alert.get("value") or 0)
    span = WINDOW_TEXT.get(check.window, f"{check.window} s")
    if check.rule == "RESTART_COUNT":
        return (f"{inst.alias} of {check.app.name} restarted {value:.0f} times in the last "
                f"{span} ({op} {limit:g})")
    what = "CPU" if check.rule == "CPU_UTILIZATION" else "memory"
    return (f"{inst.alias} of {check.app.name}: {what} averaged {value:.1f}% over the last "
            f"{span} ({op} {limit:g}%)")
