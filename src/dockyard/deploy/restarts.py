"""RESTART_COUNT alerts: watch the live instances' restarts against the spec's rules.

A rule ``{rule: RESTART_COUNT, operator: GREATER_THAN, value: 3, window: FIVE_MINUTES}`` on a
component fires when one of its instances restarted more than 3 times in the last five
minutes; it fires once per instance and window.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dockyard.deploy.context import instances_of
from dockyard.deploy.notify import notify, spec_rules
from dockyard.deploy.services import Services
from dockyard.release.record import records_of

logger = logging.getLogger("dockyard.restarts")
WINDOWS = {"FIVE_MINUTES": 300, "TEN_MINUTES": 600, "THIRTY_MINUTES": 1800, "ONE_HOUR": 3600,
           "UNSPECIFIED_WINDOW": 300}


def exceeded(count: int, alert: dict[str, Any]) -> bool:
    value = float(alert.get("value") or 0)
    if alert.get("operator") == "LESS_THAN":
        return count < value
    return count > value


class RestartWatcher:
    def __init__(self, services: Services, interval: float = 2.0) -> None:
        self.services = services
        self.interval = interval
        self.fired: dict[str, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="restart-watcher")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def loop(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - keep watching
                logger.exception("restart check failed")

    def check(self) -> None:
        store = self.services.store
        for app in store.list_apps():
            for dep in store.list_deployments(app.id, phases=("ACTIVE",)):
                rules = spec_rules(store.spec_version(app.id, dep.spec_version))
                for record in records_of(dep.components):
                    alert = rules.get((record.name, "RESTART_COUNT"))
                    if not alert:
                        continue
                    window = WINDOWS.get(str(alert.get("window")), 300)
                    for inst in instances_of(app.id, dep.id, record):
                        count = self.services.runtime.restarts(inst, time.time() - window)
                        if exceeded(count, alert) and \
                                self.fired.get(inst.program, 0) < time.time() - window:
                            self.fired[inst.program] = time.time()
                            notify(self.services, app, dep, "RESTART_COUNT",
                                   f"{inst.alias} of {app.name} restarted {count} times in the "
                                   f"last {window // 60} minutes", component=record.name)
