"""Scheduled job invocations: one row per cron tick of a job, whatever became of it.

A tick is recorded once (``UNIQUE(app, job, scheduled_for)``), before anything runs, so a
restarted API server can neither lose an invocation nor start one twice. Phases are
DigitalOcean's: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELED, SKIPPED (due while the previous
invocation still ran).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.errors import NotFound
from dockyard.logs import timestamp

OPEN_PHASES = ("PENDING", "RUNNING")
DONE_PHASES = ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED")


@dataclass
class JobInvocation:
    id: str
    app_id: str
    job_name: str
    deployment_id: str
    seq: int                       # per app: names the invocation's instance (``<job>-<seq>``)
    phase: str
    scheduled_for: str             # the cron tick, RFC 3339 UTC
    created_at: str
    started_at: str = ""
    completed_at: str = ""
    exit_code: int | None = None
    error_message: str = ""
    pid: int | None = None         # the job worker's process while it runs
    trigger: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> JobInvocation:
        data = dict(row)
        data["trigger"] = json.loads(data.pop("trigger_json") or "{}")
        return cls(**data)

    @property
    def done(self) -> bool:
        return self.phase in DONE_PHASES


class InvocationStore:
    """The ``job_invocations`` table (mixed into ``Store``)."""

    if TYPE_CHECKING:
        def tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]: ...

    def record_invocation(self, app_id: str, job_name: str, deployment_id: str,
                          scheduled_for: str, trigger: dict[str, Any], *,
                          phase: str = "PENDING", error_message: str = ""
                          ) -> JobInvocation | None:
        """Record one tick of a job; None when that tick is recorded already."""
        now = timestamp()
        inv_id = str(uuid.uuid4())
        done = now if phase in DONE_PHASES else ""
        with self.tx() as c:
            seq = c.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM job_invocations "
                            "WHERE app_id=?", (app_id,)).fetchone()[0]
            cur = c.execute(
                "INSERT OR IGNORE INTO job_invocations (id, app_id, job_name, deployment_id, "
                "seq, phase, trigger_json, scheduled_for, created_at, completed_at, "
                "error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (inv_id, app_id, job_name, deployment_id, seq, phase, json.dumps(trigger),
                 scheduled_for, now, done, error_message))
            if cur.rowcount == 0:
                return None
        return self.get_invocation(app_id, inv_id)

    def get_invocation(self, app_id: str, inv_id: str) -> JobInvocation:
        rows = self._query("SELECT * FROM job_invocations WHERE app_id=? AND id=?",
                           (app_id, inv_id))
        if not rows:
            raise NotFound(f"job invocation {inv_id!r} not found in app {app_id!r}",
                           hint="`dockyard apps list-job-invocations APP` lists them.")
        return JobInvocation.from_row(rows[0])

    def list_invocations(self, app_id: str, *, job_names: tuple[str, ...] = (),
                         deployment_id: str | None = None,
                         phases: tuple[str, ...] = ()) -> list[JobInvocation]:
        """Newest first."""
        sql, args = "SELECT * FROM job_invocations WHERE app_id=?", [app_id]
        for column, values in (("job_name", job_names), ("phase", phases)):
            if values:
                sql += f" AND {column} IN ({','.join('?' * len(values))})"
                args += list(values)
        if deployment_id:
            sql += " AND deployment_id=?"
            args.append(deployment_id)
        rows = self._query(sql + " ORDER BY seq DESC", tuple(args))
        return [JobInvocation.from_row(r) for r in rows]

    def open_invocations(self) -> Iterator[JobInvocation]:
        """Every PENDING or RUNNING invocation of every app (for recovery)."""
        rows = self._query("SELECT * FROM job_invocations WHERE phase IN (?, ?) ORDER BY seq",
                           OPEN_PHASES)
        return (JobInvocation.from_row(r) for r in rows)

    def last_scheduled(self, app_id: str, job_name: str) -> str:
        """The newest tick recorded for the job ('' when none is)."""
        rows = self._query("SELECT MAX(scheduled_for) FROM job_invocations WHERE app_id=? "
                           "AND job_name=?", (app_id, job_name))
        return str(rows[0][0] or "")

    def update_invocation(self, inv: JobInvocation, *, expect: tuple[str, ...] = (),
                          **fields: Any) -> JobInvocation | None:
        """Set ``fields`` (phase, started_at, completed_at, exit_code, error_message, pid);
        with ``expect``, only while the phase is one of those (else None: someone else won)."""
        allowed = {"phase", "started_at", "completed_at", "exit_code", "error_message", "pid"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"not invocation fields: {sorted(unknown)}")
        sets = ", ".join(f"{k}=?" for k in fields)
        sql = f"UPDATE job_invocations SET {sets} WHERE id=?"
        args: tuple[Any, ...] = (*fields.values(), inv.id)
        if expect:
            sql += f" AND phase IN ({','.join('?' * len(expect))})"
            args += expect
        with self.tx() as c:
            changed = c.execute(sql, args).rowcount
        return self.get_invocation(inv.app_id, inv.id) if changed else None
