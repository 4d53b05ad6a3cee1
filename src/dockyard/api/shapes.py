"""DigitalOcean's JSON shapes for apps and deployments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.store import App, Deployment

REGION = {"slug": "local", "label": "This machine", "flag": "local", "continent": "Local",
          "data_centers": ["127.0.0.1"], "default": True, "disabled": False, "reason": ""}
NOT_DONE = ("PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING")
USER_ACTIONS = (("restart", "RESTART"), ("rollback to", "ROLLBACK_APP"),
                ("revert rollback", "REVERT_APP_ROLLBACK"),
                ("upgrade buildpack", "UPGRADE_BUILDPACK"), ("app spec updated", "UPDATE_SPEC"),
                ("initial deployment", "CREATE_DEPLOYMENT"), ("manual", "CREATE_DEPLOYMENT"))
"""Deployment cause → DigitalOcean's ``cause_details.digitalocean_user_action.name``."""


def cause_details(dep: Deployment) -> dict[str, Any]:
    """DigitalOcean's ``cause_details``: the type, and the user action behind it."""
    details: dict[str, Any] = {"type": dep.cause_type}
    action = next((name for prefix, name in USER_ACTIONS if dep.cause.startswith(prefix)), None)
    if action and dep.cause_type != "DEPLOY_ON_PUSH":
        details["digitalocean_user_action"] = {"name": action}
    return details


def deployment_json(dep: Deployment, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Deployment object; component commits are grouped by kind as DO does."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for comp in dep.components:
        entry = {"name": comp["name"], "source_commit_hash": comp.get("commit", "")}
        by_kind.setdefault(comp["kind"] + "s", []).append(entry)
    body: dict[str, Any] = {
        "id": dep.id, "cause": dep.cause, "cloned_from": dep.cloned_from,
        "cause_details": cause_details(dep),
        "phase": dep.phase, "phase_last_updated_at": dep.phase_last_updated_at,
        "created_at": dep.created_at, "updated_at": dep.updated_at,
        "progress": dep.progress, "tier_slug": "local", **by_kind,
    }
    instances = [{"component": c["name"], "index": i["index"], "port": i.get("port"),
                  "program": i.get("program")}
                 for c in dep.components for i in c.get("instances", [])]
    body["dockyard"] = {"instances": instances, "error_code": dep.error_code}
    images = {c["name"]: c["image"] for c in dep.components if c.get("image")}
    if images:  # on a cluster: each component's image, by digest
        body["dockyard"]["images"] = images
    if spec is not None:
        body["spec"] = spec
    if dep.error_code:
        body["error"] = {"code": dep.error_code, "message": dep.error_message}
    return body


def app_json(app: App, deployments: list[Deployment], url: str,
             default_ingress: str | None = None,
             view: Callable[[Deployment], dict[str, Any]] = deployment_json) -> dict[str, Any]:
    """An App object with its active and in-progress deployments; ``url`` is its live URL
    (the PRIMARY domain's in public mode), ``default_ingress`` its ``<app>.<domain>`` URL;
    ``view`` renders each deployment."""
    body: dict[str, Any] = {
        "id": app.id, "owner_uuid": "local", "spec": app.spec,
        "default_ingress": default_ingress or url, "live_url": url, "live_url_base": url,
        "live_domain": url.split("://", 1)[-1],
        "created_at": app.created_at, "updated_at": app.updated_at,
        "region": dict(REGION),
        "tier_slug": "local",
        "dockyard": {"notes": app.notes, "spec_version": app.spec_version,
                     "spec_yaml": app.spec_yaml,
                     "requested_region": app.spec.get("region", ""),
                     "hostnames": [f"{app.name}.localhost"]},
    }
    if deployments:
        body["last_deployment_created_at"] = deployments[0].created_at
    active = next((d for d in deployments if d.phase == "ACTIVE"), None)
    if active:
        body["active_deployment"] = view(active)
        body["last_deployment_active_at"] = active.updated_at
    pinned = next((d for d in deployments if d.id == app.pinned_deployment_id), None)
    if pinned:
        body["pinned_deployment"] = view(pinned)
    running = [d for d in deployments if d.phase in NOT_DONE]
    if running:
        body["in_progress_deployment"] = view(running[-1])
        if len(running) > 1:
            body["pending_deployment"] = view(running[0])
    return body


def page(request_url: str, items: list[Any], page_no: int, per_page: int
         ) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """Slice ``items`` and build DO's ``links`` and ``meta``."""
    total = len(items)
    last = max(1, -(-total // per_page))
    start = (page_no - 1) * per_page
    base = request_url.split("?")[0]

    def url(n: int) -> str:
        return f"{base}?page={n}&per_page={per_page}"

    pages: dict[str, str] = {}
    if page_no > 1:
        pages |= {"first": url(1), "prev": url(page_no - 1)}
    if page_no < last:
        pages |= {"next": url(page_no + 1), "last": url(last)}
    return items[start:start + per_page], {"pages": pages}, {"total": total}
