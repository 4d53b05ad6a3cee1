"""A spec and a release become Kubernetes manifests: pure, offline, deterministic.

``render(spec, target)`` returns every object of the app in the order they are applied
(namespace, configuration, databases, services, workloads, jobs, ingress) and the notes on
what the spec asks for that the manifests do not carry. ``dockyard k8s render`` prints it;
the Kubernetes runtime applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.databases import database_manifests
from dockyard.runtime.kubernetes.env import ComponentEnv, cluster_bindings, component_env
from dockyard.runtime.kubernetes.network import ingresses, service
from dockyard.runtime.kubernetes.pods import container, env_sources, grace_seconds, pod_spec
from dockyard.runtime.kubernetes.target import Manifest, Target
from dockyard.runtime.kubernetes.workloads import (
    autoscaler,
    cron_job,
    deploy_job,
    deployment,
    meta,
)

KIND_ORDER = ("Namespace", "Secret", "ConfigMap", "Cluster", "Service", "Deployment",
              "HorizontalPodAutoscaler", "CronJob", "Job", "Ingress")
REGISTRIES = {"DOCKER_HUB": "docker.io", "GHCR": "ghcr.io",
              "DOCR": "registry.digitalocean.com"}


@dataclass
class Rendered:
    manifests: list[Manifest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def named(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        if not found:
            raise KeyError(f"no {kind} named {name}")
        return found[0]


def render(spec: Any, target: Target) -> Rendered:
    """Every manifest of the app for this release (see the module docstring)."""
    out = Rendered([namespace(target)])
    bindings = cluster_bindings(spec, target)
    host = bindings.app["APP_DOMAIN"]
    ports: dict[str, int] = {}
    for kind, comp in spec.components():
        if kind == "functions":
            out.notes.append(f"{comp.name}: functions components do not run on Kubernetes; "
                             "not rendered")
        elif kind == "database":
            labels = names.labels(target.app, target.app_id, comp.name, kind)
            out.manifests += database_manifests(comp, target, labels)
        else:
            env = component_env(spec, comp, kind, target, bindings)
            out.notes += env.notes
            _component(out, spec, comp, kind, target, env, host)
            if kind in ("service", "static_site"):
                ports[comp.name] = int(service(comp, kind, {}, target)["spec"]["ports"][0]["port"])
    app_labels = names.app_labels(target.app, target.app_id)
    out.manifests += ingresses(spec, target, app_labels, ports)
    out.notes += _unrendered(spec)
    out.manifests.sort(key=lambda m: KIND_ORDER.index(m["kind"]))
    return out


def namespace(target: Target) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": target.namespace,
                         "labels": names.app_labels(target.app, target.app_id)}}


def image_ref(comp: Any, target: Target) -> str:
    """The release image, or the spec's ``image`` source (tag, else digest, else latest)."""
    source = getattr(comp, "image", None)
    if source is None or comp.name in target.images:
        return target.image(comp.name)
    host = source.registry if source.registry_type.value == "UNSPECIFIED" else \
        REGISTRIES.get(source.registry_type.value, "docker.io")
    owner = source.registry if source.registry_type.value != "UNSPECIFIED" else None
    if source.registry_type.value == "DOCKER_HUB":
        owner = source.registry or "library"
    repo = "/".join(p for p in (host, owner, source.repository) if p)
    if source.digest:
        return f"{repo}@{source.digest}"
    return f"{repo}:{source.tag or 'latest'}"


def _config(comp: Any, kind: str, target: Target, env: ComponentEnv,
            labels: dict[str, str]) -> tuple[list[Manifest], str, str]:
    """The ConfigMap and Secret of this release (immutable, named per release, so an old
    ReplicaSet brought back by a rollback finds its own configuration)."""
    config_name = names.release_name(f"{comp.name}-env", target.release, 63)
    secret_name = names.release_name(f"{comp.name}-secret", target.release, 63)
    labels = {**labels, names.RELEASE: names.dns_label(target.release)}
    out: list[Manifest] = []
    if env.config:
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "immutable": True,
                    "metadata": meta(config_name, target, labels), "data": env.config})
    if env.secret:
        out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "immutable": True,
                    "metadata": meta(secret_name, target, labels), "stringData": env.secret})
    return out, config_name, secret_name


def _component(out: Rendered, spec: Any, comp: Any, kind: str, target: Target,
               env: ComponentEnv, host: str) -> None:
    labels = names.labels(target.app, target.app_id, comp.name, kind)
    config, config_name, secret_name = _config(comp, kind, target, env, labels)
    out.manifests += config
    box = container(comp, kind, image_ref(comp, target),
                    env_sources(env, config_name, secret_name), host)
    if kind == "job":
        pod = pod_spec([box], grace_seconds(comp), restart="Never")
        scheduled = comp.effective_kind.value == "SCHEDULED"
        out.manifests.append((cron_job if scheduled else deploy_job)(comp, labels, target, pod))
        return
    autoscaling = getattr(comp, "autoscaling", None)
    pod = pod_spec([box], grace_seconds(comp))
    out.manifests.append(deployment(comp, labels, target, pod, autoscaled=bool(autoscaling)))
    if kind in ("service", "static_site"):
        out.manifests.append(service(comp, kind, labels, target))
    if autoscaling:
        hpa, notes = autoscaler(comp, labels, target)
        out.manifests.append(hpa)
        out.notes += notes
    if kind == "worker" and comp.liveness_health_check and not comp.liveness_health_check.port:
        out.notes.append(f"{comp.name}: liveness_health_check has no port (a worker has no "
                         "http_port); no liveness probe")


def _unrendered(spec: Any) -> list[str]:
    notes = []
    for _kind, comp in spec.components():
        if getattr(comp, "cors", None):
            notes.append(f"{comp.name}: cors is not rendered (set it on the ingress controller)")
    for index, rule in enumerate(spec.ingress.rules if spec.ingress else []):
        if rule.cors:
            notes.append(f"ingress.rules[{index}].cors is not rendered")
    if any(d.minimum_tls_version for d in spec.domains):
        notes.append("domains[].minimum_tls_version is a setting of the ingress controller "
                     "(ingress-nginx: ssl-protocols); not rendered")
    return notes
