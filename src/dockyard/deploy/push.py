"""Deploy on push: a watcher that polls each app's branches, and GitHub's push webhook.

Only components whose source says ``deploy_on_push: true`` count. A push to another branch
is ignored; so is a push while the app is pinned to a rollback. Each new commit deploys
once: a commit whose deployment failed waits for the next commit (or an explicit deploy).
Pushes that arrive while a deployment runs coalesce in the engine (the newest pending
deployment wins).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from dockyard.deploy.phases import IN_PROGRESS, Phase
from dockyard.errors import DockyardError
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


PUSH_CAUSE_RE = re.compile(r"commit ([0-9a-f]{7,40}) pushed to ")


def push_cause(commit: str, where: str) -> str:
    """The cause of a deployment on push; ``tried_commits`` reads the commit back from it."""
    return f"commit {commit[:7]} pushed to {where}"


@dataclass
class History:
    """What an app's deployments say about commits, whatever became of them."""

    busy: bool = False                                          # one is pending or running
    built: dict[str, set[str]] = field(default_factory=dict)    # component -> commits built
    pushed: set[str] = field(default_factory=set)               # short commits deployed on push

    def tried(self, component: str, head: str) -> bool:
        return head in self.built.get(component, ()) or head[:7] in self.pushed


def history(platform: Any, app: App) -> History:
    """Every commit the app's deployments built, or were started for on push (a build that
    fails records no commit, but its cause names it)."""
    found = History()
    for dep in platform.store.list_deployments(app.id):
        found.busy = found.busy or Phase(dep.phase) in IN_PROGRESS
        for comp in dep.components:
            if comp.get("commit"):
                found.built.setdefault(comp["name"], set()).add(comp["commit"])
        match = PUSH_CAUSE_RE.match(dep.cause or "") if dep.cause_type == "DEPLOY_ON_PUSH" \
            else None
        if match:
            found.pushed.add(match.group(1)[:7])
    return found


def check_app(platform: Any, app: App) -> str | None:
    """Deploy the app if a watched branch moved to a commit no deployment has tried yet;
    return the cause, or None. A commit that failed is not tried again: a new commit, or an
    explicit deployment, is what retries it."""
    from dockyard.source import remote_head, source_ref

    if app.pinned_deployment_id:
        return None
    past = history(platform, app)
    if past.busy:
        return None
    for name, kind, source in pushed_sources(app.spec):
        ref = source_ref(kind, source)
        head = remote_head(ref)
        if head and past.built.get(name) and not past.tried(name, head):
            cause = push_cause(head, ref.label)
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


class Unauthorized(DockyardError):
    status = 401
    code = "unauthorized"


def github_apps(platform: Any) -> list[tuple[App, list[dict[str, Any]]]]:
    """Apps with a GitHub source on deploy_on_push, with those sources."""
    out = []
    for app in platform.store.list_apps():
        sources = [s for _n, kind, s in pushed_sources(app.spec) if kind == "github"]
        if sources:
            out.append((app, sources))
    return out


def github_push(platform: Any, body: bytes, event: str | None, signature: str | None,
                delivery: str | None = None) -> dict[str, Any]:
    """Handle ``POST /v2/webhooks/github``: verify, parse, match apps, deploy once.

    The signature is checked first, against every app that deploys from GitHub on push,
    and a body no app's secret signs is never parsed. Whatever the repository, an unsigned
    or badly signed request gets the same 401, so the answer tells nothing about which
    repositories are deployed here. A delivery GitHub sends again (same ``X-GitHub-Delivery``)
    deploys nothing the second time.
    """
    from dockyard.source.webhook import DELIVERY_RE, parse_push, verify_signature

    signed = [(app, sources) for app, sources in github_apps(platform)
              if verify_signature(platform.webhook_secret(app), body, signature)]
    if not signed:
        raise Unauthorized("X-Hub-Signature-256 is missing or does not match the webhook "
                           "secret of an app that deploys on push",
                           hint="Use the secret `dockyard apps get APP` shows.")
    if delivery is not None and not DELIVERY_RE.fullmatch(delivery):
        raise DockyardError("X-GitHub-Delivery: expected GitHub's delivery id (a GUID)",
                            code="webhook.bad_delivery")
    push = parse_push(event, body)
    if push is None:
        return {"status": "ignored", "reason": f"event {event!r} is not a push"}
    deployed, repeated = [], []
    for app, sources in signed:
        if not any(push.triggers(s["repo"], s.get("branch") or "main") for s in sources):
            continue
        if delivery and not platform.store.claim_delivery(delivery, app.id):
            repeated.append(app.name)
            continue
        if app.pinned_deployment_id:
            continue
        dep = platform.deploy(app, cause=push_cause(push.after, f"github/{push.repo}"),
                              cause_type="DEPLOY_ON_PUSH")
        deployed.append({"app": app.name, "deployment_id": dep.id})
    result: dict[str, Any] = {"status": "ok", "deployments": deployed}
    if repeated:
        result["repeated"] = f"delivery {delivery} was handled before for {', '.join(repeated)}"
    if not deployed and not repeated:
        result["ignored"] = "no app deploys this repository and branch on push"
    return result
