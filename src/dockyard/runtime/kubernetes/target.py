"""What a rendering needs besides the spec: where the app lives and which release it is.

``render(spec, target)`` is pure: the same spec and target give the same manifests, so
``dockyard k8s render`` (offline) and the runtime (on a cluster) agree byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.runtime.kubernetes import names

PLACEHOLDER_REGISTRY = "registry.invalid/dockyard"
SECRET_PLACEHOLDER = "REPLACE-ME"  # what `k8s render` writes instead of a SECRET's value
Manifest = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """Inputs of one rendering (all plain values; ``reveal`` decrypts SECRET env values)."""

    app: str                                         # the app's name (spec.name)
    app_id: str = ""
    release: str = "manual"                          # the deployment id
    registry: str = PLACEHOLDER_REGISTRY             # where release images are pushed
    images: Mapping[str, str] = field(default_factory=dict)    # component -> image ref
    commits: Mapping[str, str] = field(default_factory=dict)   # component -> commit hash
    namespace_prefix: str = names.DEFAULT_NAMESPACE_PREFIX
    ingress_class: str = "nginx"
    cluster_issuer: str = "letsencrypt"              # cert-manager ClusterIssuer; "" = no TLS
    base_domain: str = ""                            # <app>.<base_domain> when no domains
    storage_size: str = "1Gi"                        # dev database volume (CloudNativePG)
    reveal: Callable[[str], str] | None = None       # None: SECRET values become placeholders
    external_databases: Mapping[str, str] = field(default_factory=dict)  # db name -> URL

    @property
    def namespace(self) -> str:
        return names.namespace(self.app, self.namespace_prefix)

    def image(self, component: str) -> str:
        """The component's release image: given by the build, else the registry's name."""
        if component in self.images:
            return self.images[component]
        return f"{self.registry.rstrip('/')}/{names.dns_label(self.app)}/" \
               f"{names.dns_label(component)}:{names.short_release(self.release)}"

    def secret_value(self, value: str) -> str:
        return self.reveal(value) if self.reveal else SECRET_PLACEHOLDER

    def hosts(self, domains: list[str]) -> list[str]:
        """Host names the Ingress answers: the spec's domains, else ``<app>.<base_domain>``."""
        if domains:
            return domains
        if self.base_domain:
            return [f"{names.dns_label(self.app)}.{self.base_domain.strip('.')}"]
        return []
