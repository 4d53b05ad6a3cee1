"""What one deployment works with: the app, its spec, its log, its component records, and
the services (store, runtime, router) it reaches them through."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.deploy.services import Services, ServicesView
from dockyard.logs import Log
from dockyard.release.record import ComponentRecord, records_of
from dockyard.runtime import Instance
from dockyard.store import App, Deployment

if TYPE_CHECKING:
    from dockyard.appspec import AppSpec

# Component kinds Dockyard builds and runs (functions and databases are handled elsewhere).
BUILT_KINDS = ("service", "worker", "job", "static_site")


@dataclass
class DeployContext(ServicesView):
    services: Services
    app: App
    dep: Deployment
    spec: AppSpec
    log: Log                                                     # the deploy log
    components: dict[str, ComponentRecord] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)             # masked in every log

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

    def reveal(self, value: str) -> str:
        """A SECRET's plaintext (a value we encrypted; plaintext passes through)."""
        return self.services.reveal(value)

    def seal(self, value: str) -> str:
        return self.services.secret_box.encrypt(value)

    def mask(self, values: list[str]) -> None:
        """Hide these values (database passwords …) in every log from now on."""
        self.secrets += [v for v in dict.fromkeys(values) if v and v not in self.secrets]
        self.log.add_secrets(values)

    @property
    def host(self) -> Any:
        """What this machine can build (``buildpacks.plan.Host``), as ``apps create`` saw it."""
        from dockyard.buildpacks.plan import Host

        return Host.detect(self.settings.docr_registry, self.settings.registry_mirrors,
                           self.settings.runtime)

    def build_log(self, component: str) -> Log:
        return Log(self.logs_dir / f"build-{component}.log", secrets=self.secrets)

    def spec_dict(self) -> dict[str, Any]:
        return self.store.spec_version(self.app.id, self.dep.spec_version)

    def save(self, **fields: Any) -> None:
        """Persist the deployment's progress and component records, as they change."""
        self.dep = self.store.update_deployment(self.dep, **fields)

    def save_components(self) -> None:
        self.save(components=[r.to_dict() for r in self.components.values()])

    def built(self) -> list[tuple[str, Any]]:
        """``(kind, component)`` pairs that Dockyard builds, in godo order (without those
        ``apps create`` accepted as not deployable: ``buildpacks.plan.skipped``)."""
        from dockyard.buildpacks.plan import skipped

        skip = {name for name, _why in skipped(self.spec, self.host)}
        return [(k, c) for k, c in self.spec.components() if k in BUILT_KINDS
                and c.name not in skip]


def open_context(services: Services, app_id: str, dep_id: str, *,
                 deploy_log: bool = True) -> DeployContext:
    """A ready context for deployment ``dep_id``: its spec parsed, its deploy log open (unless
    ``deploy_log`` is false: a console's output is not the deployment's) and masking the
    spec's secrets, its records read back."""
    from dockyard.appspec import parse_spec_data
    from dockyard.release.secrets import secret_values

    store = services.store
    app = store.get_app(app_id)
    dep = store.get_deployment(app_id, dep_id)
    spec_dict = store.spec_version(app_id, dep.spec_version)
    masks = secret_values(spec_dict, services.secret_box)
    log = Log(services.home.logs(app_id) / dep_id / "deploy.log" if deploy_log else None,
              secrets=masks)
    return DeployContext(services, app, dep, parse_spec_data(spec_dict).spec, log,
                         components={r.name: r for r in records_of(dep.components)},
                         secrets=masks)


def instances_of(app_id: str, dep_id: str, record: ComponentRecord,
                 kept: bool = True) -> list[Instance]:
    """The component's instances in deployment ``dep_id``: those it started, and (``kept``)
    those an earlier deployment started and handed over to it (a partial restart)."""
    return [Instance(app_id, i.deployment or dep_id, record.name, i.index, i.port)
            for i in record.instances if kept or not i.deployment]


def deployment_instances(app_id: str, dep: Deployment, kept: bool = True) -> list[Instance]:
    """Every instance a deployment runs (from its stored records); with ``kept=False`` only
    those it started itself (what it may stop when it fails)."""
    return [inst for record in records_of(dep.components)
            for inst in instances_of(app_id, dep.id, record, kept)]

