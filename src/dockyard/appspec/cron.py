"""Cron schedules of ``SCHEDULED`` jobs: checked with ``cronsim``, in the job's time zone.

``schedule.cron`` has five fields (minute hour day month weekday) or one of cron's macros;
``schedule.time_zone`` is a tz-database name (default UTC), read with ``zoneinfo``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}


def expand(expr: str) -> str:
    text = " ".join(expr.split())
    return MACROS.get(text.lower(), text)


def cron_problem(expr: str) -> str | None:
    """Why ``expr`` is not a schedule cronsim can run, or None."""
    try:
        CronSim(expand(expr), datetime.now(UTC))
    except CronSimError as exc:
        return str(exc)
    return None


def zone(name: str | None) -> ZoneInfo:
    """The job's time zone (UTC when unset); ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def zone_ok(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def latest_tick(expr: str, time_zone: str | None, now: float) -> float | None:
    """The newest time at or before ``now`` (Unix time) that the schedule names."""
    tz = zone(time_zone)
    start = datetime.fromtimestamp(int(now), tz) + timedelta(seconds=1)
    try:
        return next(CronSim(expand(expr), start, reverse=True)).timestamp()
    except StopIteration:
        return None


def next_tick(expr: str, time_zone: str | None, now: float) -> float | None:
    """The first time after ``now`` that the schedule names (for display)."""
    try:
        return next(CronSim(expand(expr), datetime.fromtimestamp(int(now), zone(time_zone))))\
            .timestamp()
    except StopIteration:
        return None
