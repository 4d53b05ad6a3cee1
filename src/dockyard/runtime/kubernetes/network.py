"""Services and the Ingress: the spec's routes, prefixes stripped or kept, and its domains.

Routes become ingress-nginx Ingresses, one per way of handling the path, since ingress-nginx
applies ``rewrite-target`` to a whole Ingress: ``<app>`` keeps the path as it came
(``preserve_path_prefix``, ``/``, exact paths); ``<app>-strip`` drops the matched prefix
(DigitalOcean's default); ``<app>-rewrite-N`` replaces it with a ``rewrite``; redirects get
one each. Domains are the hosts; cert-manager issues their certificate (one Secret,
``<app>-tls``) from the ClusterIssuer named in the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.env import STATIC_PORT
from dockyard.runtime.kubernetes.target import Manifest, Target
from dockyard.runtime.kubernetes.workloads import meta

NGINX = "nginx.ingress.kubernetes.io/"
ISSUER = "cert-manager.io/cluster-issuer"


@dataclass(frozen=True)
class Route:
    path: str
    component: str
    exact: bool = False
    preserve: bool = False
    rewrite: str | None = None
    host: str | None = None

    @property
    def mode(self) -> str:
        if self.rewrite:
            return f"rewrite:{self.rewrite}"
        keep = self.preserve or self.exact or self.path == "/"
        return "keep" if keep else "strip"


def service(comp: Any, kind: str, labels: dict[str, str], target: Target) -> Manifest:
    port = STATIC_PORT if kind == "static_site" else int(comp.http_port)
    ports: list[dict[str, Any]] = [{"name": "http", "port": port, "targetPort": "http",
                                    "protocol": "TCP"}]
    if str(getattr(getattr(comp, "protocol", None), "value", "")) == "HTTP2":
        ports[0]["appProtocol"] = "kubernetes.io/h2c"
    ports += [{"name": f"internal-{i}", "port": p, "targetPort": p, "protocol": "TCP"}
              for i, p in enumerate(getattr(comp, "internal_ports", [])) if p != port]
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": meta(names.dns_label(comp.name), target, labels),
            "spec": {"type": "ClusterIP", "selector": names.selector(target.app, comp.name),
                     "ports": ports}}


def spec_routes(spec: Any) -> list[Route]:
    """Component routes and ingress rules; with none, the first service (or site) gets ``/``."""
    routes = [Route(r.path, comp.name, preserve=bool(r.preserve_path_prefix))
              for comp in [*spec.services, *spec.static_sites] for r in comp.routes]
    for rule in spec.ingress.rules if spec.ingress else []:
        path = rule.match.path if rule.match else None
        authority = rule.match.authority if rule.match else None
        if rule.component is None or path is None:
            continue
        routes.append(Route(path.exact or path.prefix or "/", rule.component.name,
                            exact=bool(path.exact),
                            preserve=bool(rule.component.preserve_path_prefix),
                            rewrite=rule.component.rewrite,
                            host=authority.exact if authority else None))
    if not routes:
        first = (spec.services or spec.static_sites or [None])[0]
        if first is not None:
            routes.append(Route("/", first.name))
    return routes


def _path(route: Route, ports: dict[str, int]) -> dict[str, Any]:
    backend = {"service": {"name": names.dns_label(route.component),
                           "port": {"number": ports[route.component]}}}
    if route.mode == "keep":
        return {"path": route.path, "pathType": "Exact" if route.exact else "Prefix",
                "backend": backend}
    prefix = route.path.rstrip("/")
    return {"path": f"{prefix}(/|$)(.*)", "pathType": "ImplementationSpecific",
            "backend": backend}


def _rules(routes: list[Route], hosts: list[str], ports: dict[str, int]) -> list[dict[str, Any]]:
    by_host: dict[str | None, list[dict[str, Any]]] = {}
    for route in routes:
        targets: list[str | None] = [route.host] if route.host else [*hosts] or [None]
        for host in targets:
            by_host.setdefault(host, []).append(_path(route, ports))
    rules = []
    for host, paths in by_host.items():
        rule: dict[str, Any] = {"http": {"paths": paths}}
        if host:
            rule["host"] = host
        rules.append(rule)
    return rules


def _annotations(mode: str) -> dict[str, str]:
    if mode == "keep":
        return {}
    target = "/$2" if mode == "strip" else mode.split(":", 1)[1].rstrip("/") + "/$2"
    return {NGINX + "use-regex": "true", NGINX + "rewrite-target": target}


def ingresses(spec: Any, target: Target, labels: dict[str, str],
              ports: dict[str, int]) -> list[Manifest]:
    """One Ingress per path handling, in a stable order (keep, strip, rewrites, redirects)."""
    hosts = target.hosts([_host(d) for d in spec.domains])
    routes = [r for r in spec_routes(spec) if r.component in ports]
    modes = sorted({r.mode for r in routes}, key=lambda m: (m != "keep", m != "strip", m))
    out = []
    for index, mode in enumerate(modes):
        suffix = "" if mode == "keep" else "-strip" if mode == "strip" else f"-rewrite-{index}"
        out.append(_ingress(names.dns_label(target.app) + suffix, _annotations(mode),
                            _rules([r for r in routes if r.mode == mode], hosts, ports),
                            hosts, target, labels))
    out += _redirects(spec, target, labels, hosts, routes, ports)
    if out and hosts and target.cluster_issuer:
        out[0]["metadata"].setdefault("annotations", {})[ISSUER] = target.cluster_issuer
    return out


def _host(domain: Any) -> str:
    return f"*.{domain.domain}" if domain.wildcard else str(domain.domain)


def _ingress(name: str, annotations: dict[str, str], rules: list[dict[str, Any]],
             hosts: list[str], target: Target, labels: dict[str, str]) -> Manifest:
    spec: dict[str, Any] = {"ingressClassName": target.ingress_class, "rules": rules}
    if hosts and target.cluster_issuer:
        spec["tls"] = [{"hosts": hosts, "secretName": f"{names.dns_label(target.app)}-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": meta(name, target, labels, annotations), "spec": spec}


def _redirects(spec: Any, target: Target, labels: dict[str, str], hosts: list[str],
               routes: list[Route], ports: dict[str, int]) -> list[Manifest]:
    """ingress-nginx answers a redirect itself; the backend is only there because an
    Ingress path needs one."""
    if not routes:
        return []
    out = []
    for index, rule in enumerate(spec.ingress.rules if spec.ingress else []):
        if rule.redirect is None or not (rule.match and rule.match.path):
            continue
        r = rule.redirect
        location = (f"{r.scheme.value.lower()}://{r.authority}"
                    f"{':' + str(r.port) if r.port else ''}" if r.authority else "")
        location += r.uri or "/"
        code = int(r.redirect_code)
        annotations = {NGINX + "permanent-redirect": location,
                       NGINX + "permanent-redirect-code": str(code)}
        path = rule.match.path
        route = Route(path.exact or path.prefix or "/", routes[0].component,
                      exact=bool(path.exact), preserve=True)
        out.append(_ingress(f"{names.dns_label(target.app)}-redirect-{index}", annotations,
                            _rules([route], hosts, ports), hosts, target, labels))
    return out
