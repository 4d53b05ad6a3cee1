"""The pod template of a component: image, command, environment, probes, limits, shutdown.

- readiness from ``health_check`` (HTTP when it has a path, else TCP), with the app's domain
  as ``Host`` (Django checks it, as Dockyard's local health gate does);
- liveness from ``liveness_health_check``;
- ``terminationGracePeriodSeconds`` = drain + grace, and a ``preStop`` that sleeps the drain
  (DigitalOcean: drain, then SIGTERM, then SIGKILL after the grace period);
- requests and limits from ``instance_size_slug`` (``dockyard.appspec.sizes``).
"""

from __future__ import annotations

from typing import Any

from dockyard.appspec.sizes import instance_size
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.env import STATIC_PORT, ComponentEnv

SHARED_CPU_REQUEST = 0.25   # a shared vCPU is requested as a quarter of a core


def quantity_memory(gib: float) -> str:
    mib = int(gib * 1024)
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def resources(slug: str | None) -> dict[str, Any]:
    """Limits are the size's vCPUs and memory; a dedicated size requests all of it
    (Guaranteed QoS), a shared one a quarter of its vCPUs."""
    size = instance_size(slug)
    memory = quantity_memory(size.memory_gib)
    cpu = str(size.cpus)
    if size.cpu_type == "SHARED":
        request_cpu = f"{int(size.cpus * SHARED_CPU_REQUEST * 1000)}m"
    else:
        request_cpu = cpu
    return {"limits": {"cpu": cpu, "memory": memory},
            "requests": {"cpu": request_cpu, "memory": memory}}


def probe(check: Any, default_port: int | None, host: str | None) -> dict[str, Any] | None:
    """A Kubernetes probe from a spec health check (None when there is no port to probe)."""
    port = getattr(check, "port", None) or default_port
    if port is None:
        return None
    path = getattr(check, "http_path", None) or getattr(check, "path", None)
    if path:
        action: dict[str, Any] = {"httpGet": {"path": path, "port": port}}
        if host and host != "*":
            action["httpGet"]["httpHeaders"] = [{"name": "Host", "value": host}]
    else:
        action = {"tcpSocket": {"port": port}}
    return {**action, "initialDelaySeconds": check.initial_delay_seconds,
            "periodSeconds": check.period_seconds, "timeoutSeconds": check.timeout_seconds,
            "successThreshold": check.success_threshold,
            "failureThreshold": check.failure_threshold}


def command(comp: Any) -> list[str] | None:
    """``run_command`` through bash, as App Platform's launcher runs it; none: the image's."""
    run = getattr(comp, "run_command", None)
    return ["/bin/bash", "-c", run] if run else None


def env_sources(env: ComponentEnv, config_name: str, secret_name: str) -> dict[str, Any]:
    sources: list[dict[str, Any]] = []
    if env.config:
        sources.append({"configMapRef": {"name": config_name}})
    if env.secret:
        sources.append({"secretRef": {"name": secret_name}})
    out: dict[str, Any] = {}
    if sources:
        out["envFrom"] = sources
    if env.entries:
        out["env"] = env.entries
    return out


def container(comp: Any, kind: str, image: str, env: dict[str, Any],
              host: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": names.dns_label(comp.name), "image": image,
                            "imagePullPolicy": "IfNotPresent", **env}
    run = command(comp)
    if run:
        spec["command"] = run
    spec["resources"] = resources(getattr(comp, "instance_size_slug", None))
    port = _port(comp, kind)
    if port:
        spec["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        spec["ports"] += [{"name": f"internal-{i}", "containerPort": p, "protocol": "TCP"}
                          for i, p in enumerate(getattr(comp, "internal_ports", []))
                          if p != port]
    _add_probes(spec, comp, kind, port, host)
    drain = getattr(getattr(comp, "termination", None), "drain_seconds", None)
    if drain:
        spec["lifecycle"] = {"preStop": {"exec": {"command": ["/bin/sh", "-c",
                                                              f"sleep {drain}"]}}}
    return spec


def _port(comp: Any, kind: str) -> int | None:
    if kind == "service":
        return int(comp.http_port)
    return STATIC_PORT if kind == "static_site" else None


def _add_probes(spec: dict[str, Any], comp: Any, kind: str, port: int | None,
                host: str | None) -> None:
    if kind == "service":
        ready = probe(comp.health_check, port, host)
        if ready:
            spec["readinessProbe"] = ready
    elif kind == "static_site":
        spec["readinessProbe"] = {"httpGet": {"path": "/", "port": STATIC_PORT},
                                  "periodSeconds": 5}
    live = getattr(comp, "liveness_health_check", None)
    if live is not None:
        check = probe(live, port, host)
        if check:
            spec["livenessProbe"] = check


def grace_seconds(comp: Any) -> int:
    term = getattr(comp, "termination", None)
    if term is None:
        return 30
    return int(term.grace_period_seconds) + int(getattr(term, "drain_seconds", 0) or 0)


def pod_spec(containers: list[dict[str, Any]], grace: int, *,
             restart: str = "Always") -> dict[str, Any]:
    """No service-account token and no service links: apps see only their spec's variables."""
    return {"containers": containers, "terminationGracePeriodSeconds": grace,
            "restartPolicy": restart, "automountServiceAccountToken": False,
            "enableServiceLinks": False}
