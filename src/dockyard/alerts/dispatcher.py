"""Deliver alerts on a background thread, so a slow receiver never delays a deployment.

``send`` only enqueues. One worker thread delivers events in order and hands every
``Delivery`` to ``record`` (which stores it beside the deployment). A full queue or a closed
dispatcher turns into failed deliveries, recorded like any other, never into an exception.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from dockyard.alerts.deliver import deliver
from dockyard.alerts.events import FAILED, AlertEvent, Delivery, SMTPSettings, redact_url
from dockyard.logs import Log, null_log, timestamp

MAX_QUEUE = 1000  # events waiting; past this, new alerts are dropped and recorded as failed
CLOSE_TIMEOUT = 10.0  # seconds close() lets queued alerts finish

Record = Callable[[AlertEvent, Delivery], None]
_Job = tuple[AlertEvent, list[str], list[Any]]


class AlertDispatcher:
    """A queue and one daemon thread that calls ``deliver`` for each queued event."""

    def __init__(self, record: Record, smtp: SMTPSettings | None = None, *, retries: int = 3,
                 backoff: float = 0.5, timeout: float = 5, log: Log | None = None,
                 max_queue: int = MAX_QUEUE) -> None:
        self._record = record
        self._options: dict[str, Any] = {"smtp": smtp, "retries": retries,
                                         "backoff": backoff, "timeout": timeout}
        self._log = log or null_log()
        self._max_queue = max_queue
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pending = 0
        self._closed = False
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="dockyard-alerts", daemon=True)
        self._thread.start()

    def send(self, event: AlertEvent, emails: list[str], webhooks: list[Any]) -> None:
        """Enqueue and return at once; the outcome reaches ``record`` later."""
        with self._idle:
            refused = "dispatcher closed" if self._closed else (
                "alert queue full" if self._pending >= self._max_queue else "")
            if not refused:
                self._pending += 1
                self._queue.put((event, list(emails or []), list(webhooks or [])))
                return
        self._log.error(f"alert {event.rule} for {event.app_name} not sent: {refused}")
        for destination in _destinations(emails, webhooks):
            self._safe_record(event, Delivery(destination, FAILED, 0, refused, timestamp()))

    def drain(self, timeout: float) -> bool:
        """Wait until every queued event is delivered; False if ``timeout`` ran out first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Refuse new alerts, let queued ones finish for up to ``timeout``, stop the thread."""
        with self._idle:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._log.error(f"alert delivery still running after {timeout:g}s; left behind")

    def __enter__(self) -> AlertDispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        for job in iter(self._queue.get, None):
            try:
                event, emails, webhooks = job
                for delivery in deliver(event, emails=emails, webhooks=webhooks,
                                        **self._options):
                    self._safe_record(event, delivery)
            except Exception as exc:  # noqa: BLE001 - the thread must outlive one bad event
                self._log.error(f"alert delivery failed unexpectedly: {exc!r}")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _safe_record(self, event: AlertEvent, delivery: Delivery) -> None:
        """A failing ``record`` is logged; it must not stop later alerts."""
        try:
            self._record(event, delivery)
        except Exception as exc:  # noqa: BLE001
            self._log.error(f"recording alert delivery to {delivery.destination} failed: {exc}")


def _destinations(emails: list[str], webhooks: list[Any]) -> list[str]:
    urls = [hook if isinstance(hook, str) else str(hook.get("url") or "")
            for hook in webhooks or []]
    return [f"webhook:{redact_url(url)}" for url in urls] + [
        f"email:{address}" for address in emails or []]
