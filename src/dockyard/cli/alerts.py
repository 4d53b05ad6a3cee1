"""``dockyard apps list-alerts`` and ``update-alert-destinations`` (doctl's flags)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import emit
from dockyard.errors import DockyardError

ALERT_COLUMNS = ["ID", "Spec.Rule", "ComponentName", "Emails", "SlackWebhooks"]


def rows(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**a, "emails": len(a["emails"]), "slack_webhooks": len(a["slack_webhooks"])}
            for a in alerts]


def list_(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    body = client.get(app_path(app_id, "/alerts"))
    if output == "json":
        print(json.dumps(body, indent=2))
        return
    emit(rows(body["alerts"]), ALERT_COLUMNS, output=output, fmt=fmt, no_header=no_header)
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
         raw=[alert])
