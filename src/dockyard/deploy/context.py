"""What one deployment works with: the app, its spec, logs, and the stages' handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.settings import Settings
from dockyard.store import App, Deployment, Store

if TYPE_CHECKING:
    from dockyard.spec import AppSpec

# Component kinds Dockyard builds and runs (functions and databases are handled elsewhere).
BUILT_KINDS = ("service", "worker", "job", "static_site")


@dataclass
class DeployContext:
    home: Home
    settings: Settings
    store: Store
    app: App
    dep: Deployment
    spec: AppSpec
    log: Log                                   # the deploy log
    components: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> record
    secrets: list[str] = field(default_factory=list)

    @property
    def logs_dir(self) -> Path:
        return self.home.logs(self.app.id) / self.dep.id

    def build_log(self, component: str) -> Log:
        return Log(self.logs_dir / f"build-{component}.log", secrets=self.secrets)

    def save(self, **fields: Any) -> None:
        """Persist the deployment's progress/components (each step, as it happens)."""
        self.dep = self.store.update_deployment(self.dep, **fields)

    def built(self) -> list[tuple[str, Any]]:
        """``(kind, component)`` pairs that Dockyard builds, in godo order."""
        return [(k, c) for k, c in self.spec.components() if k in BUILT_KINDS]
