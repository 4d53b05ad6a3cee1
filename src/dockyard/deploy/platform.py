"""``Platform``: what the API asks of Dockyard (the API calls only this and the store).

It records apps and spec versions, queues deployments for the engine (which runs each in a
worker process), and starts the background watchers. The work itself lives in the deploy
stages, which take ``Services`` (store, runtime, router …), never this facade.
"""

from __future__ import annotations

import secrets
import shutil
from typing import Any

from dockyard.deploy import rollback as rollbacks
from dockyard.deploy.engine import Engine
from dockyard.deploy.notify import notify
from dockyard.deploy.phases import IN_PROGRESS, Phase, transition
from dockyard.deploy.services import Services, ServicesView
from dockyard.errors import Conflict, DockyardError
from dockyard.paths import Home
from dockyard.release.record import records_of
from dockyard.settings import Settings, free_port
from dockyard.store import App, Deployment, JobInvocation, Store, Token
from dockyard.store.db import RESERVED_NAMES


class Platform(ServicesView):
    def __init__(self, home: Home, settings: Settings, store: Store) -> None:
        self.services = Services(home, settings, store)
        self.engine = Engine(self.services)
        self.watchers: list[Any] = []

    def start(self) -> None:
        """Start the deployment engine (finishing what a previous server left), the push
        watcher, the job scheduler and the metrics sampler (which also evaluates the metric
        alert rules)."""
        from dockyard.deploy.metrics import MetricsSampler
        from dockyard.deploy.push import PushWatcher
        from dockyard.deploy.scheduler import Scheduler

        self.engine.start()
        self.watchers = [PushWatcher(self, self.settings.push_poll_seconds),
                         MetricsSampler(self.services)]
        if not self.services.rolls_releases:  # a cluster runs SCHEDULED jobs as CronJobs
            self.watchers.append(Scheduler(self.services))
        for watcher in self.watchers:
            watcher.start()

    def stop(self) -> None:
        self.engine.stop()
        for watcher in self.watchers:
            watcher.stop()
        self.services.close()

    def webhook_secret(self, app: App) -> str:
        """The app's GitHub webhook secret (made on first use, stored encrypted)."""
        box = self.services.secret_box
        if app.webhook_secret:
            return box.decrypt(app.webhook_secret)
        value = secrets.token_hex(20)
        self.store.set_webhook_secret(app.id, box.encrypt(value))
        return value

    def check_token(self, value: str) -> Token | None:
        return self.store.check_token(value)

    # -- specs (each takes the result of ``deploy.specs.check``) -------------------------
    def propose(self, checked: dict[str, Any], app_id: str | None) -> dict[str, Any]:
        name = checked["name"]
        existing = self.store.find_app(name)
        available = existing is None or (app_id is not None and existing.id == app_id)
        return {"app_name_available": available,
                **({} if available else {"app_name_suggestion": f"{name}-2"}),
                "app_is_static": checked["is_static"], "existing_static_apps": "0",
                "max_free_static_apps": "unlimited", "app_cost": 0,
                "app_tier_downgrade_cost": 0, "spec": checked["spec"],
                "notes": checked["notes"], "undeployable": checked["undeployable"],
                "builds": checked.get("builds", [])}

    # -- apps ------------------------------------------------------------------------------
    def create_app(self, checked: dict[str, Any]) -> App:
        if checked["name"] in RESERVED_NAMES:
            raise DockyardError(f"name: {checked['name']!r} is reserved by the API; "
                                "choose another app name", code="spec.invalid")
        spec, text = with_default_alerts(checked["spec"], checked["yaml"])
        app = self.store.create_app(checked["name"], spec, text,
                                    checked["notes"], port=free_port(avoid=self.used_ports()))
        self.deploy(app, cause="initial deployment", cause_type="MANUAL")
        return self.store.get_app(app.id)

    def update_app(self, app: App, checked: dict[str, Any], *,
                   update_sources: bool = False) -> App:
        """A new spec version and its deployment. As on DigitalOcean, components whose source
        did not change keep the commit they run unless ``update_sources``
        (``update_all_source_versions``): scaling a component does not ship new code."""
        self.refuse_if_pinned(app)
        pins = {} if update_sources else kept_commits(self.store, app, checked["spec"])
        app = self.store.update_spec(app.id, checked["spec"], checked["yaml"],
                                     checked["notes"])
        dep = self.store.create_deployment(app, phase="PENDING_BUILD", cause="app spec updated",
                                           cause_type="MANUAL",
                                           options={"commits": pins} if pins else None)
        self.engine.submit(dep.app_id)
        return app

    def delete_app(self, app: App) -> None:
        """Keep a final backup of each dev database, stop the app's processes, drop its
        routes and databases, then forget the app and its files. On a cluster: delete the
        app's namespace (its pods, configuration and dev databases go with it)."""
        from dockyard.offload import call

        dev = [d["name"] for d in app.spec.get("databases", []) if not d.get("cluster_name")]
        if self.services.rolls_releases:
            dev = []  # on a cluster they are CloudNativePG clusters in the app's namespace
        if dev:
            call("databases.final_backups", app_id=app.id, databases=dev)
        keep_backups(self.home, app)
        for dep in self.store.list_deployments(app.id):
            if dep.phase in IN_PROGRESS:
                transition(self.store, dep, Phase.CANCELED)
        from dockyard.deploy.invocations import cancel_all

        cancel_all(self.services, app)
        self.services.runtime.remove_app(app.id)   # on a cluster: its namespace
        if not self.services.rolls_releases and (self.home.router / "state.json").exists():
            self.services.router.remove(app.id)
        if dev:
            call("databases.drop", app_id=app.id, databases=dev)
        self.store.delete_app(app.id)
        shutil.rmtree(self.home.app(app.id), ignore_errors=True)

    def used_ports(self) -> set[int]:
        """Ports taken by apps, the control plane and every recorded instance."""
        ports = self.store.used_ports() | {self.settings.api_port, self.settings.router_port}
        for app in self.store.list_apps():
            for dep in self.store.list_deployments(app.id):
                ports |= {i.port for r in records_of(dep.components) for i in r.instances
                          if i.port}
        return ports

    # -- deployments -----------------------------------------------------------------------
    def deploy(self, app: App, *, cause: str, cause_type: str = "MANUAL",
               force_build: bool = False) -> Deployment:
        """Record a new deployment in ``PENDING_BUILD`` and wake the engine."""
        self.refuse_if_pinned(app)
        dep = self.store.create_deployment(app, phase="PENDING_BUILD", cause=cause,
                                           cause_type=cause_type, force_build=force_build)
        self.engine.submit(app.id)
        return dep

    def refuse_if_pinned(self, app: App) -> None:
        if app.pinned_deployment_id:
            raise Conflict(f"app {app.name} is pinned to rollback deployment "
                           f"{app.pinned_deployment_id}: new deployments are refused",
                           code="app_pinned",
                           hint="Commit the rollback (`dockyard apps rollback-commit APP`) or "
                                "revert it (`dockyard apps rollback-revert APP`).")

    def rollback(self, app: App, target_id: str | None, skip_pin: bool = False,
                 with_data: bool = False) -> Deployment:
        self.refuse_if_pinned(app)
        dep = rollbacks.rollback(self.services, app, target_id, skip_pin, with_data)
        self.engine.submit(app.id)
        return dep

    def revert_rollback(self, app: App) -> Deployment:
        dep = rollbacks.revert(self.services, app)
        self.engine.submit(app.id)
        return dep

    def restart(self, app: App, components: list[str] | None = None) -> Deployment:
        """New instances of the live release (no build, no new commit), through the gate;
        on a cluster, a rollout restart (of ``components`` only, when named)."""
        self.refuse_if_pinned(app)
        live = self.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
        if not live:
            return self.deploy(app, cause="restart", cause_type="MANUAL")
        dep = self.store.create_deployment(app, phase=Phase.PENDING_BUILD.value, cause="restart",
                                           cause_type="MANUAL", cloned_from=live[0].id,
                                           spec_version=live[0].spec_version,
                                           options={"restart": True,
                                                    "components": list(components or [])})
        self.engine.submit(app.id)
        return dep

    def cancel(self, app: App, dep_id: str) -> Deployment:
        dep = self.store.get_deployment(app.id, dep_id)
        if dep.phase == Phase.DEPLOYING.value and self.services.rolls_releases:
            raise Conflict(f"deployment {dep.id} is rolling out on the cluster and cannot be "
                           "canceled halfway", code="deploy.not_cancelable",
                           hint="It ends ACTIVE, or ERROR with the previous release serving; "
                                "then deploy or roll back.")
        if Phase(dep.phase) in IN_PROGRESS:
            waiting = dep.phase == Phase.PENDING_BUILD.value
            dep = transition(self.store, dep, Phase.CANCELED)
            if waiting:  # the engine never saw it; a running one alerts as it stops
                notify(self.services, app, dep, "DEPLOYMENT_CANCELED",
                       f"Deployment {dep.id} of {app.name} was canceled")
        return dep

    def cancel_invocation(self, app: App, inv_id: str) -> JobInvocation:
        from dockyard.deploy.invocations import cancel

        return cancel(self.services, app, inv_id)

    def log_tail(self, app: App, dep: Deployment, lines: int = 30) -> list[str]:
        """The last lines of the deployment's logs, for ``--wait`` failures."""
        folder = self.home.logs(app.id) / dep.id
        if dep.phase != Phase.ERROR.value or not folder.exists():
            return []
        text: list[str] = []
        for path in sorted(folder.glob("build-*.log")) + [folder / "deploy.log"]:
            if path.exists():
                text += path.read_text(errors="replace").splitlines()
        return text[-lines:]

    def status(self) -> dict[str, Any]:
        return {"apps": len(self.store.list_apps()), "api_url": self.settings.api_url}


def kept_commits(store: Store, app: App, new_spec: dict[str, Any]) -> dict[str, str]:
    """Component -> commit of the live release, for components whose source is unchanged."""
    live = store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
    if not live:
        return {}
    old = store.spec_version(app.id, live[0].spec_version)
    commits = {r.name: r.commit for r in records_of(live[0].components) if r.commit}
    return {name: commits[name] for name, source in sources(new_spec).items()
            if name in commits and sources(old).get(name) == source}


def sources(spec: dict[str, Any]) -> dict[str, Any]:
    """Component -> its source fields (git/github/gitlab/bitbucket, image, source_dir,
    dockerfile_path)."""
    out = {}
    for group in ("services", "workers", "jobs", "static_sites"):
        for comp in spec.get(group, []) or []:
            out[comp["name"]] = {k: comp.get(k) for k in ("git", "github", "gitlab",
                                                          "bitbucket", "image", "source_dir",
                                                          "dockerfile_path")}
    return out


def keep_backups(home: Home, app: App) -> None:
    """Move every backup of a deleted app out of its folder, to ``backups/<app>-<id>/``."""
    source = home.app(app.id) / "backups"
    if source.is_dir():
        target = home.root / "backups" / f"{app.name}-{app.id[:8]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))


DEFAULT_ALERTS = ("DEPLOYMENT_FAILED", "DOMAIN_FAILED")


def with_default_alerts(spec: dict[str, Any], text: str) -> tuple[dict[str, Any], str]:
    """DigitalOcean gives a new app the alerts ``DEPLOYMENT_FAILED`` and ``DOMAIN_FAILED``
    when its spec has no app-level ``alerts``; they are added to the spec and to its YAML
    (as a block at the end, so the user's text and comments stay as they are)."""
    if "alerts" in spec:
        return spec, text
    rules = [{"rule": rule} for rule in DEFAULT_ALERTS]
    block_yaml = text.strip() and not text.lstrip().startswith(("{", "["))
    if not block_yaml:
        return {**spec, "alerts": rules}, text
    added = "".join(f"  - rule: {rule}\n" for rule in DEFAULT_ALERTS)
    text = text.rstrip("\n") + "\n# added by Dockyard, as DigitalOcean does for new apps\n" \
        f"alerts:\n{added}"
    return {**spec, "alerts": rules}, text
