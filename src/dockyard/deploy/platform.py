"""``Platform``: what the API asks of Dockyard (DESIGN.md: api only calls deploy and store).

It validates specs, records apps and spec versions, and hands deployments to the engine.
"""

from __future__ import annotations

from typing import Any

from dockyard.paths import Home
from dockyard.settings import Settings, free_port
from dockyard.store import App, Store
from dockyard.store.db import RESERVED_NAMES


class Platform:
    def __init__(self, home: Home, settings: Settings, store: Store) -> None:
        self.home = home
        self.settings = settings
        self.store = store

    def start(self) -> None:
        """Start background work (the deployment engine) once the server runs."""

    def stop(self) -> None:
        """Stop background work; running deployments are resumed on the next start."""

    # -- auth ------------------------------------------------------------------------------
    def check_token(self, value: str):  # type: ignore[no-untyped-def]
        return self.store.check_token(value)

    # -- specs (each takes a validated ``SpecDocument``) -----------------------------------
    def propose(self, doc, app_id: str | None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        name = doc.spec.name
        existing = self.store.find_app(name)
        available = existing is None or (app_id is not None and existing.id == app_id)
        sites = len(doc.spec.static_sites or [])
        is_static = sites > 0 and not (doc.spec.services or doc.spec.workers or doc.spec.jobs)
        return {"app_name_available": available,
                **({} if available else {"app_name_suggestion": f"{name}-2"}),
                "app_is_static": is_static, "existing_static_apps": "0",
                "max_free_static_apps": "unlimited", "app_cost": 0,
                "app_tier_downgrade_cost": 0, "spec": doc.to_dict(), "notes": doc.notes,
                "undeployable": [str(i) for i in doc.undeployable()]}

    # -- apps ------------------------------------------------------------------------------
    def allocate_port(self) -> int:
        avoid = self.store.used_ports() | {self.settings.api_port, self.settings.router_port}
        return free_port(avoid=avoid)

    def create_app(self, doc) -> App:  # type: ignore[no-untyped-def]
        if doc.spec.name in RESERVED_NAMES:
            from dockyard.errors import DockyardError

            raise DockyardError(f"name: {doc.spec.name!r} is reserved by the API; "
                                "choose another app name", code="spec.invalid")
        app = self.store.create_app(doc.spec.name, doc.to_dict(), doc.to_yaml(), doc.notes,
                                    port=self.allocate_port())
        self.deploy(app, cause="initial deployment", cause_type="MANUAL")
        return self.store.get_app(app.id)

    def update_app(self, app: App, doc) -> App:  # type: ignore[no-untyped-def]
        app = self.store.update_spec(app.id, doc.to_dict(), doc.to_yaml(), doc.notes)
        self.deploy(app, cause="app spec updated", cause_type="MANUAL")
        return app

    def delete_app(self, app: App) -> None:
        self.store.delete_app(app.id)

    # -- deployments -----------------------------------------------------------------------
    def deploy(self, app: App, *, cause: str, cause_type: str = "MANUAL",
               force_build: bool = False):  # type: ignore[no-untyped-def]
        """Record a new deployment in ``PENDING_BUILD``; the engine picks it up."""
        return self.store.create_deployment(app, phase="PENDING_BUILD", cause=cause,
                                            cause_type=cause_type, force_build=force_build)

    def cancel(self, app: App, dep_id: str):  # type: ignore[no-untyped-def]
        dep = self.store.get_deployment(app.id, dep_id)
        if dep.phase in ("PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING"):
            dep = self.store.set_phase(dep, "CANCELED")
        return dep

    def log_tail(self, app: App, dep) -> list[str]:  # type: ignore[no-untyped-def]
        return []

    def status(self) -> dict[str, Any]:
        return {"apps": len(self.store.list_apps()), "api_url": self.settings.api_url}
