"""Manifests for the ``Runtime`` protocol's own calls (``start``, ``run_job``), made from
``Launch`` values rather than from a spec.

A ``Launch`` carries what one machine needs; on a cluster only the spec's variables (the
sealed keys, decrypted here) and ``PORT`` travel, in a Secret: the rest of a local
environment (``PATH`` into a host virtualenv, a host ``HOME``, gunicorn bound to loopback)
would be wrong inside an image. Probes, routes and autoscaling need the spec: use
``KubernetesRuntime.deploy`` for a whole release.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dockyard.errors import DockyardError
from dockyard.runtime import Instance, Launch
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.client import Obj
from dockyard.runtime.kubernetes.pods import pod_spec, resources

Reveal = Callable[[str], str]


def launch_env(inst: Instance, launch: Launch, reveal: Reveal | None) -> dict[str, str]:
    if launch.sealed and reveal is None:
        raise DockyardError("sealed env values need the installation's key on Kubernetes",
                            code="kubernetes.no_key")
    env = {key: reveal(launch.env[key]) if reveal else launch.env[key]
           for key in launch.sealed if key in launch.env}
    if inst.port is not None:
        env["PORT"] = str(inst.port)
    return env


def _image(launch: Launch, inst: Instance) -> str:
    if not launch.image:
        raise DockyardError(f"{inst.component}: the release has no image; on Kubernetes every "
                            "release runs from an image in the registry",
                            code="kubernetes.no_image",
                            hint="Build releases as images (dockyard up --runtime kubernetes "
                                 "--image-registry R).")
    return launch.image


def _labels(inst: Instance, launch: Launch, app: str) -> dict[str, str]:
    labels = names.labels(app, inst.app_id, inst.component, launch.kind)
    return {**labels, **{k: names.dns_label(v) for k, v in launch.labels.items()
                         if k.startswith("dockyard.dev/")}}


def container(inst: Instance, launch: Launch, secret: str) -> dict[str, Any]:
    box: dict[str, Any] = {"name": names.dns_label(inst.component), "image": _image(launch, inst),
                           "command": ["/bin/bash", "-c", launch.command],
                           "envFrom": [{"secretRef": {"name": secret}}],
                           "resources": resources(launch.size)}
    if inst.port is not None:
        box["ports"] = [{"name": "http", "containerPort": inst.port, "protocol": "TCP"}]
        box["readinessProbe"] = {"tcpSocket": {"port": inst.port}, "periodSeconds": 2}
    return box


def secret(namespace: str, name: str, env: dict[str, str], labels: dict[str, str]) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "stringData": env}


def deployment(namespace: str, app: str, group: Sequence[tuple[Instance, Launch]],
               reveal: Reveal | None) -> list[Obj]:
    """A Secret and a Deployment for the instances of one component of one deployment."""
    inst, launch = group[0]
    labels = _labels(inst, launch, app)
    name = names.dns_label(inst.component)
    secret_name = names.release_name(f"{inst.component}-launch", inst.deployment_id, 63)
    pod_labels = {**labels, names.RELEASE: names.dns_label(inst.deployment_id)}
    pod = pod_spec([container(inst, launch, secret_name)], launch.grace_seconds)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": namespace, "labels": labels},
           "spec": {"replicas": len(group),
                    "selector": {"matchLabels": names.selector(app, inst.component)},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {
                        "maxUnavailable": 0, "maxSurge": "100%"}},
                    "template": {"metadata": {"labels": pod_labels}, "spec": pod}}}
    return [secret(namespace, secret_name, launch_env(inst, launch, reveal), pod_labels), dep]


def job(namespace: str, app: str, inst: Instance, launch: Launch, timeout: float,
        reveal: Reveal | None) -> list[Obj]:
    labels = {**_labels(inst, launch, app), names.RELEASE: names.dns_label(inst.deployment_id)}
    name = names.release_name(inst.component, inst.deployment_id)
    secret_name = f"{name}-env"
    pod = pod_spec([container(inst, launch, secret_name)], launch.grace_seconds,
                   restart="Never")
    manifest = {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": {"backoffLimit": 0, "activeDeadlineSeconds": int(timeout),
                         "template": {"metadata": {"labels": labels}, "spec": pod}}}
    return [secret(namespace, secret_name, launch_env(inst, launch, reveal), labels), manifest]
