"""One JSON POST to a webhook (Slack-compatible), reported as an ``Attempt``.

Uses ``http.client`` directly: no proxy variables, no redirects followed, so an alert goes
exactly to the URL the user configured, and nothing else sees its secret path.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

USER_AGENT = "Dockyard-Alerts/1"
BODY_IN_DETAIL = 200  # characters of a receiver's reply kept (Slack explains 4xx there)
MAX_RETRY_AFTER = 30.0  # seconds: a receiver's Retry-After is honoured up to this


@dataclass(frozen=True)
class Attempt:
    """One try at one destination; ``retryable`` says whether trying again could help."""

    ok: bool
    detail: str
    retryable: bool = False
    retry_after: float | None = None


def check_url(url: str) -> str | None:
    """Why ``url`` can't be posted to, or None; checked once, before any attempt."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return f"invalid webhook URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "invalid webhook URL: expected http(s)://host/path"
    return None


def post_json(url: str, payload: dict[str, Any], timeout: float) -> Attempt:
    """POST ``payload``; 2xx is delivered, 5xx/429 and connection errors may be retried."""
    parts = urlsplit(url)
    conn_class = http.client.HTTPSConnection if parts.scheme == "https" else \
        http.client.HTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    conn = conn_class(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("POST", target, body=body, headers=headers)
        resp = conn.getresponse()
        reply = resp.read(BODY_IN_DETAIL * 4).decode("utf-8", "replace")
        return _judge(resp.status, resp.reason, reply, resp.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(False, f"connection failed: {exc or type(exc).__name__}", retryable=True)
    finally:
        conn.close()


def _judge(status: int, reason: str, reply: str, retry_after: str | None) -> Attempt:
    reply = " ".join(reply.split())[:BODY_IN_DETAIL]
    detail = f"HTTP {status} {reason}".rstrip() + (f": {reply}" if reply else "")
    if 200 <= status < 300:
        return Attempt(True, detail)
    retryable = status >= 500 or status == 429
    return Attempt(False, detail, retryable=retryable, retry_after=_seconds(retry_after))


def _seconds(header: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored: backoff applies instead)."""
    try:
        return min(max(float(header or ""), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None
