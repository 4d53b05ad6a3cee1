"""Follow a deployment until it ends (``--wait``): phases and steps as they change.

The same phases and step counts the API returns (``progress``), printed as ``-----> `` lines
so they read the same in a terminal and in a CI log.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.errors import DockyardError

TERMINAL = {"ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"}


def running_steps(progress: dict[str, Any]) -> list[str]:
    """Labels of the leaf steps that are running now, e.g. 'Building service web'."""
    out: list[str] = []

    def walk(steps: list[dict[str, Any]], trail: str) -> None:
        for s in steps:
            label = s.get("message_base", "")
            if label and s.get("component_name"):
                label = f"{label} {s['component_name']}"
            label = label or f"{trail}{s['name']}"
            if s.get("steps"):
                walk(s["steps"], f"{trail}{s['name']}/")
            elif s.get("status") == "RUNNING":
                out.append(f"{label}: {s['detail']}" if s.get("detail") else label)

    walk(progress.get("steps", []), "")
    return out


def follow(client: Client, app_id: str, dep_id: str, *, interval: float = 0.3,
           timeout: float = 3600) -> dict[str, Any]:
    """Print each phase and step change; on ERROR raise with the failing log's tail.

    On a terminal a rich status line (spinner, phase, steps done) sits under the lines.
    """
    if sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status("PENDING_BUILD") as status:
            return poll(client, app_id, dep_id, interval, timeout, status.update)
    return poll(client, app_id, dep_id, interval, timeout, lambda _text: None)


def poll(client: Client, app_id: str, dep_id: str, interval: float, timeout: float,
         show: Any) -> dict[str, Any]:
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dep = client.get(app_path(app_id, f"/deployments/{dep_id}"))["deployment"]
        progress = dep.get("progress") or {}
        counts = f"{progress.get('success_steps', 0)}/{progress.get('total_steps', 0)}"
        running = running_steps(progress)
        show(f"{dep['phase']}  {counts} steps  {', '.join(running)}")
        for line in [f"{dep['phase']}"] + running:
            if line not in seen:
                seen.add(line)
                sys.stderr.write(f"-----> {line} ({counts})\n")
        if dep["phase"] in TERMINAL:
            if dep["phase"] in ("ERROR", "CANCELED"):
                err = dep.get("error") or {}
                raise DockyardError(f"deployment {dep_id} {dep['phase']}: "
                                    f"{err.get('message', 'no reason recorded')}",
                                    code=err.get("code", "deploy.failed"),
                                    hint="\n".join(dep.get("log_tail", [])) or None)
            return dep
        time.sleep(interval)
    raise DockyardError(f"deployment {dep_id} did not finish in {timeout:.0f} s")
