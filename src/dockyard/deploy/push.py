"""Deploy on push: a watcher that polls each app's branches, and GitHub's push webhook.

Only components whose source says ``deploy_on_push: true`` count. A push to another branch
is ignored; so is a push while the app is pinned to a rollback. Pushes that arrive while a
deployment runs coalesce in the engine (the newest pending deployment wins).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dockyard.deploy.phases import IN_PROGRESS, Phase
from dockyard.store import App

logger = logging.getLogger("dockyard.push")
PUSH_KINDS = ("github", "gitlab", "bitbucket")


def pushed_sources(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(component, kind, source)`` for every source with ``deploy_on_push: true``."""
    out = []
    for group in ("services", "workers", "jobs", "static_sites"):
        for comp in spec.get(group, []):
            for kind in PUSH_KINDS:
                source = comp.get(kind)
                if source and source.get("deploy_on_push"):
                    out.append((comp["name"], kind, source))
    return out


def deployed_commits(platform: Any, app: App) -> dict[str, str]:
    """Component → commit of the newest deployment that is live or on its way."""
    for dep in platform.store.list_deployments(app.id):
        if dep.phase == Phase.ACTIVE.value or Phase(dep.phase) in IN_PROGRESS:
            if dep.phase == Phase.PENDING_BUILD.value:
                return {"*": "pending"}
            return {c["name"]: c.get("commit", "") for c in dep.components}
    return {}


def check_app(platform: Any, app: App) -> str | None:
    """Deploy the app if a watched branch moved; return the cause, or None."""
    from dockyard.source import remote_head, source_ref

    if app.pinned_deployment_id:
        return None
    known = deployed_commits(platform, app)
    if "*" in known:
        return None
    for name, kind, source in pushed_sources(app.spec):
        ref = source_ref(kind, source)
        head = remote_head(ref)
        if head and known.get(name) and head != known[name]:
            cause = f"commit {head[:7]} pushed to {ref.label}"
            platform.deploy(app, cause=cause, cause_type="DEPLOY_ON_PUSH")
            return cause
    return None


class PushWatcher:
    """Polls every ``interval`` seconds in a daemon thread until stopped."""

    def __init__(self, platform: Any, interval: float) -> None:
        self.platform = platform
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True, name="push-watcher")

    def start(self) -> None:
        if self.interval > 0:
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def loop(self) -> None:
        while not self.stopped.wait(self.interval):
            for app in self.platform.store.list_apps():
                try:
                    check_app(self.platform, app)
                except Exception:  # noqa: BLE001 - one broken app must not stop the others
                    logger.exception("push check of app %s failed", app.name)


def github_push(platform: Any, body: bytes, event: str | None, signature: str | None
                ) -> dict[str, Any]:
    """Handle ``POST /v2/webhooks/github``: verify, match apps, deploy.

    Returns what happened; raises ``Unauthorized`` when no matching app's secret verifies.
    """
    from dockyard.source.webhook import parse_push, verify_signature

    push = parse_push(event, body)
    if push is None:
        return {"status": "ignored", "reason": f"event {event!r} is not a push"}
    matched, verified, deployed = 0, 0, []
    for app in platform.store.list_apps():
        sources = [(n, s) for n, k, s in pushed_sources(app.spec) if k == "github"]
        if not any(push.triggers(s["repo"], s.get("branch") or "main") for _n, s in sources):
            continue
        matched += 1
        if not verify_signature(platform.webhook_secret(app), body, signature):
            continue
        verified += 1
        if app.pinned_deployment_id:
            continue
        dep = platform.deploy(app, cause=f"commit {push.after[:7]} pushed to github/{push.repo}",
                              cause_type="DEPLOY_ON_PUSH")
        deployed.append({"app": app.name, "deployment_id": dep.id})
    if matched and not verified:
        from dockyard.errors import DockyardError

        err = DockyardError("X-Hub-Signature-256 does not match the app's webhook secret",
                            code="unauthorized")
        err.status = 401
        raise err
    return {"status": "ok", "deployments": deployed,
            "ignored": matched == 0 and "no app deploys this repository and branch on push"}
