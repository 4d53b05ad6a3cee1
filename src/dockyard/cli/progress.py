"""Follow a deployment until it ends: phases and steps as they change (``--wait``)."""

from __future__ import annotations

import sys
import time
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.errors import DockyardError

TERMINAL = {"ACTIVE", "SUPERSEDED", "ERROR", "CANCELED"}


def follow(client: Client, app_id: str, dep_id: str, *, interval: float = 0.5,
           timeout: float = 3600) -> dict[str, Any]:
    """Print each phase change; raise with the failing step's log tail on ERROR/CANCELED."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dep = client.get(app_path(app_id, f"/deployments/{dep_id}"))["deployment"]
        if dep["phase"] != seen:
            seen = dep["phase"]
            sys.stderr.write(f"-----> {seen}  {step_summary(dep)}\n")
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


def step_summary(dep: dict[str, Any]) -> str:
    p = dep.get("progress") or {}
    if not p.get("total_steps"):
        return ""
    return f"({p.get('success_steps', 0)}/{p['total_steps']} steps)"
