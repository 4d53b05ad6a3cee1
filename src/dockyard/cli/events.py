"""``dockyard apps list-events | get-event | cancel-event`` (doctl's flags and columns)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import EVENT_COLUMNS, emit, rows_of
from dockyard.errors import DockyardError

DONE = {"ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"}
RENDER = {"ID": lambda e: e["id"], "Type": lambda e: e["type"],
          "DeploymentID": lambda e: e.get("deployment_id", ""),
          "Created": lambda e: e.get("created_at", ""),
          "Phase": lambda e: (e.get("autoscaling") or {}).get("phase", "")}
"""doctl's Events displayer: ``Phase`` is an autoscaling event's phase only."""


def show(items: list[dict[str, Any]], output: str, fmt: str | None, no_header: bool) -> None:
    emit(rows_of(items, RENDER), EVENT_COLUMNS, output=output, fmt=fmt, no_header=no_header,
         raw=items, headers={"Created": "Created At"})


def event_path(app_id: str, event_id: str, suffix: str = "") -> str:
    return app_path(app_id, "/events/" + urllib.parse.quote(event_id, safe="") + suffix)


def list_(ref: str, types: tuple[str, ...], output: str, fmt: str | None,
          no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    wanted = [t.strip().upper() for value in types for t in value.split(",") if t.strip()]
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(app_path(app_id, "/events"), page=page, per_page=200,
                          event_types=wanted or None)
        items += body["events"]
        if "next" not in body.get("links", {}).get("pages", {}):
            break
        page += 1
    show(items, output, fmt, no_header)


def get(ref: str, event_id: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    show([client.get(event_path(app_id, event_id))["event"]], output, fmt, no_header)


def cancel(ref: str, event_id: str, output: str, fmt: str | None, no_header: bool) -> None:
    """Cancel the event's deployment; an event that already ended is said so, exit 1."""
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    before = client.get(event_path(app_id, event_id))["event"]
    refuse_if_done(f"event {event_id}", (before.get("deployment") or {}).get("phase", ""))
    event = client.post(event_path(app_id, event_id, "/cancel"))["event"]
    refuse_if_done(f"event {event_id}", (event.get("deployment") or {}).get("phase", ""),
                   after=True)
    show([event], output, fmt, no_header)


def refuse_if_done(what: str, phase: str, *, after: bool = False) -> None:
    """A cancel that changes nothing says so and fails (as doctl does on DigitalOcean's
    error): before the request when it had already ended, after it when it ended first."""
    if phase in DONE and not (after and phase == "CANCELED"):
        raise DockyardError(f"{what} had already ended ({phase}); nothing was canceled",
                            code="cli.nothing_to_do")
