"""``dockyard apps list-alerts`` and ``update-alert-destinations`` (doctl's flags)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import emit
from dockyard.errors import DockyardError

ALERT_COLUMNS = ["ID", "Spec.Rule", "Trigger", "ComponentName", "Emails", "SlackWebhooks",
                 "Spec.Disabled"]
ALERT_HEADERS = {"Spec.Rule": "Alert Rule", "Trigger": "Alert Trigger",
                 "Emails": "Number Of Emails", "SlackWebhooks": "Number Of Slack Webhooks",
                 "Spec.Disabled": "Alert Disabled?"}
WINDOWS = {"FIVE_MINUTES": "5m", "TEN_MINUTES": "10m", "THIRTY_MINUTES": "30M",
           "ONE_HOUR": "1h"}
EVENT_RULES = {"DEPLOYMENT_FAILED", "DEPLOYMENT_LIVE", "DOMAIN_FAILED", "DOMAIN_LIVE"}


def trigger(spec: dict[str, Any]) -> str:
    """doctl's ``Trigger`` column: ``> 80.00 for 5m`` for metric rules, ``Event`` for
    deployment and domain rules, ``Unknown`` otherwise."""
    rule = spec.get("rule", "")
    if rule in ("CPU_UTILIZATION", "MEM_UTILIZATION", "RESTART_COUNT"):
        op = {"GREATER_THAN": ">", "LESS_THAN": "<"}.get(spec.get("operator", ""), "Unknown")
        window = WINDOWS.get(spec.get("window", ""), "Unknown")
        return f"{op} {float(spec.get('value') or 0):.2f} for {window}"
    return "Event" if rule in EVENT_RULES else "Unknown"


def rows(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**a, "emails": len(a["emails"]), "slack_webhooks": len(a["slack_webhooks"]),
             "trigger": trigger(a.get("spec") or {}),
             "spec.disabled": bool((a.get("spec") or {}).get("disabled"))} for a in alerts]


def list_(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    body = client.get(app_path(app_id, "/alerts"))
    if output == "json":
        print(json.dumps(body, indent=2))
        return
    emit(rows(body["alerts"]), ALERT_COLUMNS, output=output, fmt=fmt, no_header=no_header,
         headers=ALERT_HEADERS)
    if body.get("deliveries") and not fmt:
        print()
        emit(body["deliveries"], ["At", "Rule", "Destination", "Status", "Attempts", "Detail"],
             output=output, fmt=None, no_header=no_header)


def read_destinations(path: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    data = YAML(typ="safe").load(text) or {}
    unknown = set(data) - {"emails", "slack_webhooks"}
    if not isinstance(data, dict) or unknown:
        raise DockyardError(f"{path}: expected emails and slack_webhooks only"
                            + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""))
    return data


def update(ref: str, alert_id: str, path: str, output: str, fmt: str | None,
           no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    alert = client.post(app_path(app_id, f"/alerts/{alert_id}/destinations"),
                        read_destinations(path))["alert"]
    emit(rows([alert]), ALERT_COLUMNS, output=output, fmt=fmt, no_header=no_header,
         raw=[alert], headers=ALERT_HEADERS)
