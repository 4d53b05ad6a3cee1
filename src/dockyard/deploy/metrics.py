"""Metrics: sample every live instance and service every ``metrics_seconds`` (default 10).

Per instance of the active deployment: CPU (percent of its instance size's vCPUs, from the
CPU seconds ``Runtime.usage`` reports between two samples), memory (bytes, and percent of
the size's memory), restarts so far, and its share of the requests (its HAProxy servers).
Per service: requests, responses per status class, bytes in and out (differences of
HAProxy's counters) and p95 and mean latency (HAProxy's request log). Samples go to the store
(``metric_samples``) and are kept ``metrics_keep_days``; after each round the metric alert
rules are evaluated (``metric_alerts``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from dockyard.appspec.sizes import InstanceSize, instance_size
from dockyard.deploy.context import instances_of
from dockyard.deploy.metric_alerts import MetricAlerts
from dockyard.deploy.services import Services
from dockyard.release.record import records_of
from dockyard.router import Counters, RequestLog, ServiceCounters
from dockyard.router.stats import percentile
from dockyard.runtime import Instance
from dockyard.store import App, Deployment, Sample

logger = logging.getLogger("dockyard.metrics")
PRUNE_EVERY = 3600.0
DAY = 86400.0


def component_sizes(spec: dict[str, Any]) -> dict[str, InstanceSize]:
    sizes = {}
    for group in ("services", "workers", "jobs"):
        for comp in spec.get(group) or []:
            try:
                sizes[comp["name"]] = instance_size(comp.get("instance_size_slug"))
            except KeyError:
                sizes[comp["name"]] = instance_size(None)
    return sizes


class MetricsSampler:
    def __init__(self, services: Services, *, interval: float | None = None,
                 clock: Callable[[], float] = time.time, request_log: bool = True) -> None:
        self.services = services
        self.interval = interval or services.settings.metrics_seconds
        self.clock = clock
        self.want_request_log = request_log
        self.requests: RequestLog | None = None
        self.cpu: dict[str, tuple[float, float]] = {}       # program → (CPU seconds, at)
        self.counters: dict[tuple[str, str, str], Counters] = {}
        self.last: float | None = None
        self.pruned = 0.0
        self.alerts = MetricAlerts(services)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="metrics")

    def start(self) -> None:
        if self.want_request_log:
            try:
                self.requests = RequestLog(self.services.router.request_log_path).start()
            except OSError as exc:
                logger.warning("no request latencies: %s", exc)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.requests:
            self.requests.stop()

    def loop(self) -> None:
        self.sample()  # the baseline: counters and CPU seconds to take differences from
        while not self.stopped.wait(self.interval):
            try:
                self.sample()
                self.alerts.evaluate(self.clock())
            except Exception:  # noqa: BLE001 - keep sampling
                logger.exception("metrics round failed")

    # -- one round -----------------------------------------------------------------------------
    def sample(self) -> list[Sample]:
        """Sample every live instance and service once; store and return the samples."""
        now = self.clock()
        seconds = now - self.last if self.last else self.interval
        self.last = now
        store = self.services.store
        try:
            traffic = self.services.router.counters()
        except Exception:  # noqa: BLE001 - no router: resources only
            traffic = {}
        latencies = self.requests.take() if self.requests else {}
        samples: list[Sample] = []
        for app in store.list_apps():
            for dep in store.list_deployments(app.id, phases=("ACTIVE",)):
                spec = store.spec_version(app.id, dep.spec_version)
                sizes = component_sizes(spec)
                services = traffic.get(app.id, {})
                samples += self.instance_samples(app, dep, sizes, services, now, seconds)
                samples += self.service_samples(app, dep, services, latencies, now, seconds)
        store.add_samples(samples)
        if now - self.pruned > PRUNE_EVERY:
            store.prune_samples(now - self.services.settings.metrics_keep_days * DAY)
            self.pruned = now
        return samples

    def instance_samples(self, app: App, dep: Deployment, sizes: dict[str, InstanceSize],
                         traffic: dict[str, ServiceCounters], now: float, seconds: float
                         ) -> list[Sample]:
        out = []
        for record in records_of(dep.components):
            size = sizes.get(record.name) or instance_size(None)
            served = self.server_requests(app.id, traffic.get(record.name))
            for inst in instances_of(app.id, dep.id, record):
                sample = Sample(app.id, dep.id, inst.component, inst.alias, now, seconds,
                                restarts=self.services.runtime.restarts(inst))
                self.resources(inst, size, sample, now)
                if inst.port is not None:
                    sample.requests = served.get(inst.port, 0) if traffic else None
                out.append(sample)
        return out

    def resources(self, inst: Instance, size: InstanceSize, sample: Sample, now: float) -> None:
        usage = self.services.runtime.usage(inst)
        if usage is None:
            return
        sample.memory_bytes = usage.memory_bytes
        sample.memory_percent = round(100.0 * usage.memory_bytes / size.memory_bytes, 2)
        before = self.cpu.get(inst.program)
        self.cpu[inst.program] = (usage.cpu_seconds, now)
        if before and now > before[1] and usage.cpu_seconds >= before[0]:
            busy = (usage.cpu_seconds - before[0]) / (now - before[1])
            sample.cpu_percent = round(100.0 * busy / max(size.cpus, 1), 2)

    def server_requests(self, app_id: str, traffic: ServiceCounters | None) -> dict[int, int]:
        """Requests per instance port since the last round (each server's difference)."""
        if traffic is None:
            return {}
        out: dict[int, int] = {}
        for name, (port, now) in traffic.servers.items():
            key = (app_id, traffic.name, name)
            delta = now.minus(self.counters.get(key))
            self.counters[key] = now
            if port:
                out[port] = out.get(port, 0) + delta.requests
        return out

    def service_samples(self, app: App, dep: Deployment, traffic: dict[str, ServiceCounters],
                        latencies: dict[str, list[float]], now: float, seconds: float
                        ) -> list[Sample]:
        out = []
        for component, entry in sorted(traffic.items()):
            key = (app.id, entry.name, "BACKEND")
            before = self.counters.get(key)
            self.counters[key] = entry.backend
            if before is None:
                continue  # the first round only sets the baseline
            delta = entry.backend.minus(before)
            took = latencies.get(entry.name, [])
            out.append(Sample(
                app.id, dep.id, component, "", now, seconds, requests=delta.requests,
                r1xx=delta.r1xx, r2xx=delta.r2xx, r3xx=delta.r3xx, r4xx=delta.r4xx,
                r5xx=delta.r5xx, bytes_in=delta.bytes_in, bytes_out=delta.bytes_out,
                latency_p95_ms=percentile(took, 0.95),
                latency_avg_ms=round(sum(took) / len(took), 2) if took else None))
        return out


def latest_usage(services: Services, app_id: str, dep_id: str
                 ) -> dict[str, tuple[float | None, float | None]]:
    """Per component: the newest CPU and memory percents, averaged over its instances (for
    ``get_health``); samples older than three rounds do not count."""
    since = time.time() - 3 * services.settings.metrics_seconds - 1
    newest: dict[tuple[str, str], Sample] = {}
    for s in services.store.samples(app_id, since):
        if s.instance and s.deployment_id == dep_id:
            newest[(s.component, s.instance)] = s
    out: dict[str, tuple[float | None, float | None]] = {}
    for component in {c for c, _i in newest}:
        rows = [s for (c, _i), s in newest.items() if c == component]
        cpu = [s.cpu_percent for s in rows if s.cpu_percent is not None]
        mem = [s.memory_percent for s in rows if s.memory_percent is not None]
        out[component] = (round(sum(cpu) / len(cpu), 2) if cpu else None,
                          round(sum(mem) / len(mem), 2) if mem else None)
    return out
