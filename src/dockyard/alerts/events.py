"""What an alert says and where it goes: the event, the SMTP settings, a delivery's outcome.

Texts are built here (pure functions) so the webhook body, the e-mail subject and the e-mail
body all describe an event the same way, and tests can check them without a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dockyard.appspec.enums import AlertRule
from dockyard.errors import DockyardError
from dockyard.logs import timestamp

DELIVERED = "delivered"
FAILED = "failed"

# What a rule means when the caller gives no message, and the Slack emoji in front of it.
_SUMMARY: dict[str, tuple[str, str]] = {
    "DEPLOYMENT_STARTED": (":rocket:", "deployment started"),
    "DEPLOYMENT_LIVE": (":white_check_mark:", "deployment is live"),
    "DEPLOYMENT_FAILED": (":x:", "deployment failed"),
    "DEPLOYMENT_CANCELED": (":no_entry_sign:", "deployment canceled"),
    "RESTART_COUNT": (":warning:", "component restarted"),
    "CPU_UTILIZATION": (":fire:", "CPU use beyond the rule's threshold"),
    "MEM_UTILIZATION": (":warning:", "memory use beyond the rule's threshold"),
    "JOB_INVOCATION_FAILED": (":x:", "scheduled job failed"),
    "DOMAIN_LIVE": (":globe_with_meridians:", "domain is live"),
    "DOMAIN_FAILED": (":x:", "domain failed"),
}
SHORT_MESSAGE = 80  # characters of the message kept in an e-mail subject


@dataclass(frozen=True)
class AlertEvent:
    """One thing that happened to an app that an alert rule may report."""

    rule: str
    app_name: str
    app_id: str
    deployment_id: str | None = None
    component: str | None = None
    phase: str | None = None
    message: str = ""
    live_url: str | None = None
    at: str = field(default_factory=timestamp)

    def __post_init__(self) -> None:
        if self.rule not in AlertRule.__members__ or self.rule == AlertRule.UNSPECIFIED_RULE:
            raise DockyardError(
                f"AlertEvent.rule: expected one of DigitalOcean's alert rules such as "
                f"DEPLOYMENT_FAILED, found {self.rule!r}",
                code="alerts.unknown_rule",
                hint="Use a rule name from app-spec §7 (the `rule` field of an alert).")


@dataclass(frozen=True)
class SMTPSettings:
    """Where e-mail alerts are handed over; ``starttls`` upgrades before ``login``."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "dockyard@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10


@dataclass(frozen=True)
class Delivery:
    """The outcome for one destination, safe to store and show (no secret URL paths)."""

    destination: str
    status: str
    attempts: int
    detail: str
    at: str = field(default_factory=timestamp)

    @property
    def delivered(self) -> bool:
        return self.status == DELIVERED


def summary(event: AlertEvent) -> str:
    """The message, or what the rule means when there is none, on one line."""
    text = " ".join(event.message.split())
    if text:
        return text
    default = _SUMMARY.get(event.rule, ("", event.rule.lower().replace("_", " ")))[1]
    return f"{event.component}: {default}" if event.component else default


def subject(event: AlertEvent) -> str:
    """``[Dockyard] <rule> <app>: <short message>``, one line, as mail clients list it."""
    short = summary(event)
    if len(short) > SHORT_MESSAGE:
        short = short[: SHORT_MESSAGE - 1].rstrip() + "…"
    return f"[Dockyard] {event.rule} {_one_line(event.app_name)}: {short}"


def details(event: AlertEvent) -> list[tuple[str, str]]:
    """The labelled facts of an event that are set, in reading order."""
    rows = [("Rule", event.rule), ("App", f"{event.app_name} ({event.app_id})"),
            ("Deployment", event.deployment_id), ("Component", event.component),
            ("Phase", event.phase), ("Live URL", event.live_url), ("At", event.at)]
    return [(label, _one_line(value)) for label, value in rows if value]


def mail_body(event: AlertEvent) -> str:
    """Plain text: the full message first, then one ``Label: value`` line per fact."""
    lines = [event.message.strip() or summary(event), ""]
    lines += [f"{label + ':':<12}{value}" for label, value in details(event)]
    return "\n".join(lines) + "\n\n-- \nSent by Dockyard's alert rules (app spec `alerts`).\n"


def slack_text(event: AlertEvent) -> str:
    """Slack mrkdwn; ``&``, ``<`` and ``>`` escaped because Slack reads them as markup."""
    emoji = _SUMMARY.get(event.rule, (":bell:", ""))[0] or ":bell:"
    text = f"{emoji} *{_slack_escape(event.app_name)}* `{event.rule}`: "
    text += _slack_escape(summary(event))
    if event.live_url:
        text += f"\n<{_slack_escape(event.live_url)}|{_slack_escape(event.live_url)}>"
    return text


def webhook_payload(event: AlertEvent) -> dict[str, Any]:
    """A Slack-compatible body (``text``) that also carries the event's fields for bots."""
    return {"text": slack_text(event), "rule": event.rule, "app": event.app_name,
            "app_id": event.app_id, "deployment_id": event.deployment_id,
            "component": event.component, "phase": event.phase, "message": event.message,
            "live_url": event.live_url, "at": event.at}


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…last4``: a Slack (or Discord, Teams) URL path is its token."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return "<invalid url>"
    path = parts.path.rstrip("/")
    tail = f"/…{path[-4:]}" if len(path) > 1 else ""
    return f"{parts.scheme}://{host}{tail}"


def rules_for(spec_alerts: list[dict[str, Any]],
              component_alerts: dict[str, list[dict[str, Any]]],
              ) -> dict[tuple[str | None, str], dict[str, Any]]:
    """The enabled rules, keyed ``(component or None, rule)``, each with its alert spec.

    The deployer asks ``(None, "DEPLOYMENT_FAILED") in rules``; the metric alert rules read
    ``rules[("web", "RESTART_COUNT")]["value"]`` for its threshold.
    """
    wanted: dict[tuple[str | None, str], dict[str, Any]] = {}
    sources: list[tuple[str | None, list[dict[str, Any]]]] = [(None, spec_alerts or [])]
    sources += [(name, alerts or []) for name, alerts in component_alerts.items()]
    for component, alerts in sources:
        for alert in alerts:
            rule = str(alert.get("rule") or AlertRule.UNSPECIFIED_RULE)
            if alert.get("disabled") or rule == AlertRule.UNSPECIFIED_RULE:
                continue
            wanted[(component, rule)] = dict(alert)
    return wanted


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
