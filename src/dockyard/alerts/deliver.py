"""Deliver one event to every destination, with retries, never raising for a failed one.

A destination that fails is a ``Delivery`` with status ``failed`` and the reason, so the
caller records it beside the deployment instead of the deployment failing because Slack did.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dockyard.alerts.events import (
    DELIVERED,
    FAILED,
    AlertEvent,
    Delivery,
    SMTPSettings,
    redact_url,
    webhook_payload,
)
from dockyard.alerts.mail import build_message, check_address, send_mail
from dockyard.alerts.webhook import Attempt, check_url, post_json
from dockyard.logs import timestamp

NO_SMTP = "no SMTP server configured: set the SMTP settings to send e-mail alerts"


def deliver(event: AlertEvent, *, emails: list[str], webhooks: list[dict[str, Any] | str],
            smtp: SMTPSettings | None, retries: int = 3, backoff: float = 0.5,
            timeout: float = 5) -> list[Delivery]:
    """Webhooks first (fast), then one e-mail per address; one ``Delivery`` each.

    ``retries`` is the most attempts per destination; waits between them are ``backoff``,
    2×, 4×… (or a 429's Retry-After, if longer).
    """
    results = [_webhook(event, hook, retries, backoff, timeout) for hook in webhooks or []]
    results += [_email(event, address, smtp, retries, backoff) for address in emails or []]
    return results


def with_retries(destination: str, attempt: Callable[[], Attempt], retries: int,
                 backoff: float, secret: str = "") -> Delivery:
    """Call ``attempt`` until it succeeds, says retrying won't help, or attempts run out."""
    result, count = Attempt(False, "not attempted"), 0
    for count in range(1, max(retries, 1) + 1):
        try:
            result = attempt()
        except Exception as exc:  # noqa: BLE001 - a bug in one destination mustn't stop others
            result = Attempt(False, f"internal error: {exc!r}")
        if result.ok or not result.retryable or count >= retries:
            break
        time.sleep(_delay(backoff, count, result.retry_after))
    detail = result.detail.replace(secret, redact_url(secret)) if secret else result.detail
    return Delivery(destination, DELIVERED if result.ok else FAILED, count, detail, timestamp())


def _delay(backoff: float, count: int, retry_after: float | None) -> float:
    wait = max(backoff, 0.0) * 2 ** (count - 1)
    return max(wait, retry_after) if retry_after is not None else wait


def _webhook(event: AlertEvent, hook: dict[str, Any] | str, retries: int, backoff: float,
             timeout: float) -> Delivery:
    url = hook if isinstance(hook, str) else str(hook.get("url") or "")
    destination = f"webhook:{redact_url(url)}"
    problem = check_url(url)
    if problem:
        return Delivery(destination, FAILED, 0, problem, timestamp())
    payload = webhook_payload(event)
    channel = None if isinstance(hook, str) else hook.get("channel")
    if channel:
        payload["channel"] = channel  # legacy Slack webhooks honour it; new ones ignore it
    return with_retries(destination, lambda: post_json(url, payload, timeout), retries,
                        backoff, secret=url)


def _email(event: AlertEvent, address: str, smtp: SMTPSettings | None, retries: int,
           backoff: float) -> Delivery:
    destination = f"email:{address}"
    problem = NO_SMTP if smtp is None else check_address(address)
    if smtp is None or problem:
        return Delivery(destination, FAILED, 0, problem or NO_SMTP, timestamp())
    try:  # built once, so every retry carries the same Message-ID
        data = build_message(event, smtp.sender, address)
    except (ValueError, TypeError) as exc:
        return Delivery(destination, FAILED, 0, f"cannot build the message: {exc}", timestamp())
    return with_retries(destination, lambda: send_mail(smtp, address, data), retries, backoff)
