"""The handles every part of a deployment works with, made once per process.

``Services`` holds the installation's home, settings and store, and makes the runtime, the
router, the secret box and the alert dispatcher on first use. The deploy stages take it (never
the API-facing ``Platform``), so they import nothing above them and a test can hand them a
runtime or router of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from dockyard.paths import Home
from dockyard.router import Router
from dockyard.runtime import Runtime
from dockyard.settings import Settings, load_settings
from dockyard.store import Store

if TYPE_CHECKING:
    from dockyard.alerts import AlertDispatcher, AlertEvent, Delivery
    from dockyard.isolation import Isolation
    from dockyard.release.secrets import SecretBox
    from dockyard.runtime.kubernetes.runtime import KubernetesRuntime


@dataclass
class Services:
    home: Home
    settings: Settings
    store: Store
    runtime_override: Runtime | None = field(default=None, repr=False)
    router_override: Router | None = field(default=None, repr=False)

    @classmethod
    def from_home(cls, home: Home | None = None) -> Services:
        """The services of ``DOCKYARD_HOME``, for child processes (deploy workers, offloaded
        calls) that share the API server's store."""
        home = home or Home.default()
        return cls(home, load_settings(home), Store(home.db))

    @cached_property
    def runtime(self) -> Runtime:
        """Where apps run: this machine (supervisord), or the cluster of ``dockyard up
        --runtime kubernetes`` (then the cluster's Ingress carries the apps' traffic and the
        router is not used for it)."""
        if self.runtime_override is not None:
            return self.runtime_override
        if self.settings.runtime == "kubernetes":
            return self.kubernetes_runtime()
        from dockyard.runtime.local.instances import LocalRuntime

        return LocalRuntime(self.home, self.isolation)

    @property
    def rolls_releases(self) -> bool:
        """Does the runtime take a release as a whole (a cluster), rather than instance by
        instance behind the router? (Decided without making the runtime.)"""
        if self.runtime_override is not None:
            return bool(getattr(self.runtime_override, "rolls_releases", False))
        return self.settings.runtime == "kubernetes"

    def kubernetes_runtime(self) -> KubernetesRuntime:
        from dockyard.runtime.kubernetes.client import Cluster
        from dockyard.runtime.kubernetes.runtime import KubernetesRuntime, KubeSettings

        s = self.settings
        context = s.kube_context or None
        settings = KubeSettings(
            kubeconfig=s.kubeconfig, context=context, registry=s.image_registry,
            ingress_class=s.kube_ingress_class, cluster_issuer=s.kube_cluster_issuer,
            base_domain=s.kube_base_domain, rollout_timeout=s.kube_rollout_timeout)
        return KubernetesRuntime(Cluster.from_kubeconfig(s.kubeconfig, context), settings,
                                 reveal=self.reveal)

    def reveal(self, value: str) -> str:
        """A SECRET's plaintext (a value we encrypted; plaintext passes through), for the
        cluster's Secrets."""
        from dockyard.release.secrets import is_encrypted

        return self.secret_box.decrypt(value) if is_encrypted(value) else value

    @cached_property
    def isolation(self) -> Isolation:
        """What this machine allows: a sandbox per app, cgroup limits (decided once)."""
        from dockyard.isolation import Isolation

        return Isolation.detect(self.settings.isolation)

    @cached_property
    def router(self) -> Router:
        if self.router_override is not None:
            return self.router_override
        from dockyard.router import HAProxyRouter

        return HAProxyRouter.from_settings(self.home, self.settings)

    @cached_property
    def secret_box(self) -> SecretBox:
        from dockyard.release.secrets import SecretBox  # cryptography: on first use only

        return SecretBox(self.home.secrets_key)

    @cached_property
    def alerts(self) -> AlertDispatcher:
        """Sends alerts on a background thread and records every delivery in the store."""
        from dockyard.alerts import AlertDispatcher, SMTPSettings

        s = self.settings
        smtp = SMTPSettings(host=s.smtp_host, port=s.smtp_port, sender=s.smtp_sender) \
            if s.smtp_host else None

        def record(event: AlertEvent, delivery: Delivery) -> None:
            self.store.add_delivery(event.app_id, event.rule, delivery.destination,
                                    delivery.status, delivery.attempts, delivery.detail)

        return AlertDispatcher(record, smtp)

    def close(self) -> None:
        if "alerts" in self.__dict__:
            self.alerts.close()


class ServicesView:
    """The handles most callers want, read through ``self.services``."""

    services: Services

    @property
    def home(self) -> Home:
        return self.services.home

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store
