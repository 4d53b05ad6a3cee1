"""``Platform``: what the API asks of Dockyard (DESIGN.md: api only calls deploy and store).

It records apps and spec versions, queues deployments for the engine, and owns the handles
on the runtime (supervisord) and the router (HAProxy + nginx) that deployments use.
"""

from __future__ import annotations

import shutil
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from dockyard.deploy.phases import IN_PROGRESS, Phase, transition
from dockyard.errors import Conflict, DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.settings import Settings, free_port
from dockyard.store import App, Deployment, Store
from dockyard.store.db import RESERVED_NAMES


class Platform:
    def __init__(self, home: Home, settings: Settings, store: Store) -> None:
        from dockyard.deploy.engine import Engine

        self.home = home
        self.settings = settings
        self.store = store
        self.engine = Engine(self)
        self.route_lock = threading.Lock()

    @classmethod
    def from_home(cls, home: Home | None = None) -> Platform:
        """The platform of ``DOCKYARD_HOME``, for child processes (deploy workers, offloaded
        calls) that share the API server's store."""
        from dockyard.settings import load_settings

        home = home or Home.default()
        return cls(home, load_settings(home), Store(home.db))

    def start(self) -> None:
        """Start the deployment engine (finishing what a previous server left), the push
        watcher and the alert dispatcher."""
        from dockyard.deploy.push import PushWatcher
        from dockyard.deploy.restarts import RestartWatcher

        self.engine.start()
        self.watcher = PushWatcher(self, self.settings.push_poll_seconds)
        self.watcher.start()
        self.restart_watcher = RestartWatcher(self)
        self.restart_watcher.start()

    def stop(self) -> None:
        self.engine.stop()
        for watcher in ("watcher", "restart_watcher"):
            if getattr(self, watcher, None):
                getattr(self, watcher).stop()
        if "alerts" in self.__dict__:
            self.alerts.close()

    @cached_property
    def secret_box(self):  # type: ignore[no-untyped-def]
        from dockyard.release.secrets import SecretBox

        return SecretBox(self.home.secrets_key)

    def webhook_secret(self, app: App) -> str:
        """The app's GitHub webhook secret (made on first use, stored encrypted)."""
        import secrets

        if app.webhook_secret:
            return self.secret_box.decrypt(app.webhook_secret)
        value = secrets.token_hex(20)
        self.store.set_webhook_secret(app.id, self.secret_box.encrypt(value))
        return value

    @cached_property
    def alerts(self):  # type: ignore[no-untyped-def]
        from dockyard.deploy.notify import dispatcher

        return dispatcher(self)

    @cached_property
    def runtime(self):  # type: ignore[no-untyped-def]
        from dockyard.runtime.local.instances import LocalRuntime

        return LocalRuntime(self.home)

    @cached_property
    def router(self):  # type: ignore[no-untyped-def]
        from dockyard.router import HAProxyRouter

        return HAProxyRouter.from_settings(self.home, self.settings)

    # -- auth ------------------------------------------------------------------------------
    def check_token(self, value: str):  # type: ignore[no-untyped-def]
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
                "notes": checked["notes"], "undeployable": checked["undeployable"]}

    # -- apps ------------------------------------------------------------------------------
    def used_ports(self) -> set[int]:
        """Ports taken by apps, the control plane and every recorded instance."""
        ports = self.store.used_ports() | {self.settings.api_port, self.settings.router_port}
        for app in self.store.list_apps():
            for dep in self.store.list_deployments(app.id):
                for comp in dep.components:
                    ports |= {i["port"] for i in comp.get("instances", []) if i.get("port")}
        return ports

    def create_app(self, checked: dict[str, Any]) -> App:
        if checked["name"] in RESERVED_NAMES:
            raise DockyardError(f"name: {checked['name']!r} is reserved by the API; "
                                "choose another app name", code="spec.invalid")
        app = self.store.create_app(checked["name"], checked["spec"], checked["yaml"],
                                    checked["notes"],
                                    port=free_port(avoid=self.used_ports()))
        self.deploy(app, cause="initial deployment", cause_type="MANUAL")
        return self.store.get_app(app.id)

    def update_app(self, app: App, checked: dict[str, Any]) -> App:
        self.refuse_if_pinned(app)
        app = self.store.update_spec(app.id, checked["spec"], checked["yaml"],
                                     checked["notes"])
        self.deploy(app, cause="app spec updated", cause_type="MANUAL")
        return app

    def delete_app(self, app: App) -> None:
        """Stop the app's processes, drop its routes, keep a final backup of each database,
        then forget the app, its databases and its files."""
        final_backups(self, app)
        for dep in self.store.list_deployments(app.id):
            if dep.phase in IN_PROGRESS:
                transition(self.store, dep, Phase.CANCELED)
        programs = self.runtime.programs(app.id)
        if programs:
            self.runtime.stop_programs(programs)
        if (self.home.router / "state.json").exists():
            self.router.remove(app.id)
        dev = [d["name"] for d in app.spec.get("databases", []) if not d.get("cluster_name")]
        if dev:
            from dockyard.offload import call

            call("databases.drop", app_id=app.id, databases=dev)
        self.store.delete_app(app.id)
        shutil.rmtree(self.home.app(app.id), ignore_errors=True)

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
        from dockyard.deploy import rollback

        self.refuse_if_pinned(app)
        return rollback.rollback(self, app, target_id, skip_pin, with_data)

    def restart(self, app: App) -> Deployment:
        """New instances of the live release (no build, no new commit), through the gate."""
        self.refuse_if_pinned(app)
        live = self.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
        if not live:
            return self.deploy(app, cause="restart", cause_type="MANUAL")
        dep = self.store.create_deployment(app, phase=Phase.PENDING_BUILD.value, cause="restart",
                                           cause_type="MANUAL", cloned_from=live[0].id,
                                           spec_version=live[0].spec_version)
        self.engine.submit(app.id)
        return dep

    def cancel(self, app: App, dep_id: str) -> Deployment:
        from dockyard.deploy.notify import notify

        dep = self.store.get_deployment(app.id, dep_id)
        if Phase(dep.phase) in IN_PROGRESS:
            waiting = dep.phase == Phase.PENDING_BUILD.value
            dep = transition(self.store, dep, Phase.CANCELED)
            if waiting:  # the engine never saw it; a running one alerts as it stops
                notify(self, app, dep, "DEPLOYMENT_CANCELED",
                       f"Deployment {dep.id} of {app.name} was canceled")
        return dep

    def active_instances(self, app_id: str):  # type: ignore[no-untyped-def]
        from dockyard.deploy.running import instances_of

        out = []
        for dep in self.store.list_deployments(app_id, phases=(Phase.ACTIVE.value,)):
            for comp in dep.components:
                out += instances_of(comp, app_id, dep.id)
        return out

    def stop_deployment_instances(self, app_id: str, dep: Deployment) -> None:
        from dockyard.deploy.running import instances_of

        instances = [i for c in dep.components for i in instances_of(c, app_id, dep.id)]
        if instances:
            self.runtime.stop(instances)

    def routing_table(self, app: App, spec: Any) -> list[Any]:
        """Every app's routing, with ``app`` at ``spec`` (the others at their active spec)."""
        from dockyard.appspec import parse_spec_data
        from dockyard.deploy.routing import app_routing

        table = [app_routing(app, spec)]
        for other in self.store.list_apps():
            if other.id == app.id:
                continue
            active = self.store.list_deployments(other.id, phases=(Phase.ACTIVE.value,))
            if active:
                other_spec = parse_spec_data(
                    self.store.spec_version(other.id, active[0].spec_version)).spec
                table.append(app_routing(other, other_spec))
        return table

    def route(self, app: App, spec: Any, components: dict[str, dict[str, Any]]) -> None:
        """Point the app's routes at the new release: sites first, then services at once."""
        with self.route_lock:
            self.router.apply(self.routing_table(app, spec))
            for record in components.values():
                if record["kind"] == "static_site":
                    self.router.publish_site(app.id, record["name"], Path(record["site_dir"]))
            targets = {r["name"]: [i["port"] for i in r["instances"]]
                       for r in components.values() if r["kind"] == "service"}
            if targets:
                self.router.switch(app.id, targets)

    def after_active(self, app: App, dep: Deployment, old: list[Any]) -> None:
        """Supersede the previous active deployment and drain its instances."""
        from dockyard.deploy.pruning import prune
        from dockyard.deploy.running import drain

        for prev in self.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,)):
            if prev.id != dep.id:
                transition(self.store, prev, Phase.SUPERSEDED)
        spec = self.store.spec_version(app.id, dep.spec_version)
        drains = {s["name"]: float((s.get("termination") or {}).get("drain_seconds", 15))
                  for s in spec.get("services", [])}
        log = Log(self.home.logs(app.id) / dep.id / "deploy.log")
        try:
            drain(self.router, self.runtime, app.id, old, drains, log)
            prune(self, app, log)
        finally:
            log.close()

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


def final_backups(platform: Platform, app: App) -> None:
    """Before an app is deleted, dump and drop each of its dev databases (in a child
    process: psycopg stays out of the API server), then move every backup of it out of the
    app's folder, to ``DOCKYARD_HOME/backups/<app>-<id>/``."""
    from dockyard.offload import call

    dev = [d["name"] for d in app.spec.get("databases", []) if not d.get("cluster_name")]
    if dev:
        call("databases.final_backups", app_id=app.id, databases=dev)
    source = platform.home.app(app.id) / "backups"
    if source.is_dir():
        target = platform.home.root / "backups" / f"{app.name}-{app.id[:8]}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))
