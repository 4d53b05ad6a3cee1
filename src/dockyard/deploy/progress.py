"""DigitalOcean's progress tree: build/deploy steps per component.

The counters count leaf steps, as DigitalOcean's do, so ``--wait`` can show "3/6".
"""

from __future__ import annotations

from typing import Any

from dockyard.logs import timestamp

BUILD_LABEL = {"service": "Building service", "worker": "Building worker",
               "job": "Building job", "static_site": "Building static site"}


def leaf(name: str, component: str | None = None, message: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "status": "PENDING"}
    if component:
        step["component_name"] = component
    if message:
        step["message_base"] = message
    return step


def new_progress(components: list[tuple[str, str]]) -> dict[str, Any]:
    """The tree for ``(kind, name)`` components that Dockyard builds and runs."""
    build = [leaf(name, name, BUILD_LABEL.get(kind)) for kind, name in components]
    deploy = []
    for kind, name in components:
        if kind == "job":
            continue
        deploy.append({"name": name, "status": "PENDING", "component_name": name, "steps": [
            leaf("deploy", name, f"Deploying {kind.replace('_', ' ')}"),
            leaf("wait", name, f"Waiting for {kind.replace('_', ' ')}")]})
    steps = [
        {"name": "build", "status": "PENDING", "steps": [
            leaf("initialize", message="Fetching sources"),
            {"name": "components", "status": "PENDING", "steps": build}]},
        {"name": "deploy", "status": "PENDING", "steps": [
            leaf("initialize", message="Preparing databases, jobs and new instances"),
            {"name": "components", "status": "PENDING", "steps": deploy},
            leaf("finalize", message="Switching routes to the new release")]},
    ]
    return count({"steps": steps})


def leaves(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        out += leaves(step["steps"]) if step.get("steps") else [step]
    return out


def count(progress: dict[str, Any]) -> dict[str, Any]:
    """Recompute the leaf counters and the status of every parent step."""
    for step in progress["steps"]:
        _rollup(step)
    all_leaves = leaves(progress["steps"])
    for status in ("PENDING", "RUNNING", "SUCCESS", "ERROR"):
        progress[f"{status.lower()}_steps"] = sum(1 for s in all_leaves if s["status"] == status)
    progress["total_steps"] = len(all_leaves)
    return progress


def _rollup(step: dict[str, Any]) -> str:
    children = step.get("steps")
    if not children:
        return str(step["status"])
    states = {_rollup(c) for c in children}
    if "ERROR" in states:
        step["status"] = "ERROR"
    elif states == {"SUCCESS"}:
        step["status"] = "SUCCESS"
    elif states & {"RUNNING", "SUCCESS"}:
        step["status"] = "RUNNING"
    else:
        step["status"] = "PENDING"
    return str(step["status"])


def mark(progress: dict[str, Any], path: tuple[str, ...], status: str,
         reason: dict[str, str] | None = None) -> dict[str, Any]:
    """Set the step at ``path`` (names from the root, e.g. ("build", "components", "web"))."""
    steps = progress["steps"]
    step: dict[str, Any] = {}
    for name in path:
        step = next(s for s in steps if s["name"] == name)
        steps = step.get("steps", [])
    targets = leaves([step]) if step.get("steps") else [step]
    for target in targets:
        if status == "RUNNING":
            target.setdefault("started_at", timestamp())
        if status in ("SUCCESS", "ERROR"):
            target.setdefault("started_at", timestamp())
            target["ended_at"] = timestamp()
        if status == "ERROR" and target["status"] == "SUCCESS":
            continue
        target["status"] = status
        if reason:
            target["reason"] = reason
    return count(progress)


def fail_open_steps(progress: dict[str, Any], reason: dict[str, str]) -> dict[str, Any]:
    """On failure: running steps become ERROR (with the reason); pending ones stay PENDING."""
    for target in leaves(progress["steps"]):
        if target["status"] == "RUNNING":
            target["status"] = "ERROR"
            target["ended_at"] = timestamp()
            target["reason"] = reason
    if not any(t["status"] == "ERROR" for t in leaves(progress["steps"])):
        first = next((t for t in leaves(progress["steps"]) if t["status"] == "PENDING"), None)
        if first:
            first.update(status="ERROR", reason=reason, ended_at=timestamp())
    return count(progress)


def note(progress: dict[str, Any], path: tuple[str, ...], detail: str) -> dict[str, Any]:
    """Attach what a running step is doing now (``detail``, a Dockyard addition to
    DigitalOcean's step), e.g. the last failed health-check attempt."""
    steps = progress["steps"]
    step: dict[str, Any] = {}
    for name in path:
        step = next((s for s in steps if s["name"] == name), {})
        steps = step.get("steps", [])
    if step:
        step["detail"] = detail
    return progress
