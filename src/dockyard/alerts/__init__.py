"""Alerts stage: tell people when a deployment starts, goes live, fails or is canceled.

``deliver(event, emails=…, webhooks=…, smtp=…)`` posts to Slack-compatible webhooks and sends
one e-mail per address, with retries, and returns one ``Delivery`` per destination.
``AlertDispatcher`` does the same on a background thread so deployments never wait for it.
``rules_for`` reads which rules an app spec enables.
"""

from dockyard.alerts.deliver import deliver
from dockyard.alerts.dispatcher import AlertDispatcher
from dockyard.alerts.events import (
    AlertEvent,
    Delivery,
    SMTPSettings,
    redact_url,
    rules_for,
    webhook_payload,
)

__all__ = ["AlertDispatcher", "AlertEvent", "Delivery", "SMTPSettings", "deliver",
           "redact_url", "rules_for", "webhook_payload"]
