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
    from dockyard.appspec import AppSpec

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
    box: Any = None                            # SecretBox: SECRET values at rest
    components: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> record
    secrets: list[str] = field(default_factory=list)

    def reveal(self, value: str) -> str:
        """A SECRET's plaintext (a value we encrypted; plaintext passes through)."""
        from dockyard.release.secrets import is_encrypted

        return self.box.decrypt(value) if is_encrypted(value) else value

    def sealed_env(self, env_keys: tuple[dict[str, str], list[str]]
                   ) -> tuple[dict[str, str], list[str]]:
        """Encrypt the spec's values before they are written to a launch file."""
        env, keys = env_keys
        return {k: self.box.encrypt(v) if k in keys and v else v for k, v in env.items()}, \
            [k for k in keys if env.get(k)]

    def sealed_masks(self) -> list[str]:
        """The values to hide in run logs, encrypted for the launch file."""
        return [self.box.encrypt(v) for v in self.secrets]

    def mask(self, values: list[str]) -> None:
        """Hide these values (database passwords …) in every log from now on."""
        self.secrets += [v for v in values if v and v not in self.secrets]
        self.log.add_secrets(values)

    @property
    def live_url(self) -> str:
        from dockyard.appspec.traffic import primary_domain

        return self.settings.live_url(self.app.port, self.app.name, primary_domain(self.spec))

    @property
    def live_host(self) -> str:
        """The live URL's host: the ``Host`` health checks send."""
        from dockyard.appspec.traffic import primary_domain

        return self.settings.live_host(self.app.port, self.app.name, primary_domain(self.spec))

    @property
    def logs_dir(self) -> Path:
        return self.home.logs(self.app.id) / self.dep.id

    def build_log(self, component: str) -> Log:
        return Log(self.logs_dir / f"build-{component}.log", secrets=self.secrets)

    def spec_dict(self) -> dict[str, Any]:
        return self.store.spec_version(self.app.id, self.dep.spec_version)

    def save(self, **fields: Any) -> None:
        """Persist the deployment's progress/components (each step, as it happens)."""
        self.dep = self.store.update_deployment(self.dep, **fields)

    def built(self) -> list[tuple[str, Any]]:
        """``(kind, component)`` pairs that Dockyard builds, in godo order."""
        return [(k, c) for k, c in self.spec.components() if k in BUILT_KINDS]
