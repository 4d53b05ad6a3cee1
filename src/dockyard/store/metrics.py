"""Metric samples and the state of metric alert rules.

One row per sample interval and instance (CPU, memory, restarts, the instance's requests) and
one per component with ``instance=''`` (HTTP figures of the component's HAProxy backend:
requests, status classes, bytes, latency). Figures are for the interval that ends at ``at``
(``seconds`` long); rows older than the retention are dropped by ``prune_samples``.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any


@dataclass
class Sample:
    app_id: str
    deployment_id: str
    component: str
    instance: str                  # '' for the component's HTTP figures
    at: float                      # Unix time at the end of the interval
    seconds: float                 # the interval's length
    cpu_percent: float | None = None       # of the instance size's vCPUs
    memory_bytes: int | None = None
    memory_percent: float | None = None    # of the instance size's memory
    restarts: int | None = None            # restarts so far (launcher records)
    requests: int | None = None
    r1xx: int | None = None
    r2xx: int | None = None
    r3xx: int | None = None
    r4xx: int | None = None
    r5xx: int | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None
    latency_p95_ms: float | None = None
    latency_avg_ms: float | None = None


COLUMNS = [f.name for f in fields(Sample)]


class MetricStore:
    """The ``metric_samples`` and ``alert_states`` tables (mixed into ``Store``)."""

    if TYPE_CHECKING:
        def tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...

    def add_samples(self, samples: list[Sample]) -> None:
        if not samples:
            return
        marks = ", ".join("?" * len(COLUMNS))
        with self.tx() as c:
            c.executemany(f"INSERT INTO metric_samples ({', '.join(COLUMNS)}) VALUES ({marks})",
                          [tuple(asdict(s).values()) for s in samples])

    def samples(self, app_id: str, since: float, *, until: float | None = None,
                component: str | None = None, instance: str | None = None) -> list[Sample]:
        """Samples of the app in ``(since, until]``, oldest first."""
        sql, args = "SELECT * FROM metric_samples WHERE app_id=? AND at>?", [app_id, since]
        if until is not None:
            sql += " AND at<=?"
            args.append(until)
        if component is not None:
            sql += " AND component=?"
            args.append(component)
        if instance is not None:
            sql += " AND instance=?"
            args.append(instance)
        rows = self._query(sql + " ORDER BY at, rowid", tuple(args))
        return [Sample(**dict(r)) for r in rows]

    def prune_samples(self, before: float) -> int:
        with self.tx() as c:
            return c.execute("DELETE FROM metric_samples WHERE at<?", (before,)).rowcount

    def alert_state(self, app_id: str, key: str) -> bool:
        rows = self._query("SELECT firing FROM alert_states WHERE app_id=? AND alert_key=?",
                           (app_id, key))
        return bool(rows and rows[0][0])

    def set_alert_state(self, app_id: str, key: str, firing: bool, value: float | None,
                        at: float) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO alert_states (app_id, alert_key, firing, value, changed_at) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT(app_id, alert_key) DO UPDATE SET "
                      "firing=excluded.firing, value=excluded.value, "
                      "changed_at=excluded.changed_at", (app_id, key, int(firing), value, at))
