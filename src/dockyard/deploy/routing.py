"""From an App Spec to the router's table, and the bindable values routes imply."""

from __future__ import annotations

from typing import Any

from dockyard.release.bindings import Bindings
from dockyard.store import App


def spec_routes(spec: Any) -> list[tuple[str, str, bool, str | None]]:
    """``(prefix, component, preserve_path_prefix, rewrite)`` from ``routes`` and ``ingress``.

    With no route anywhere, the first service (else static site) gets ``/``, as DigitalOcean
    does for a single-component app.
    """
    routes: list[tuple[str, str, bool, str | None]] = []
    for kind, comp in spec.components():
        if kind in ("service", "static_site"):
            for r in getattr(comp, "routes", None) or []:
                routes.append((r.path, comp.name, bool(r.preserve_path_prefix), None))
    ingress = getattr(spec, "ingress", None)
    for rule in (getattr(ingress, "rules", None) or []):
        target = rule.component
        prefix = rule.match.path.prefix if rule.match and rule.match.path else None
        if target is not None and prefix:
            routes.append((prefix, target.name, bool(target.preserve_path_prefix),
                           target.rewrite))
    if not routes:
        first = (spec.services or spec.static_sites or [None])[0]
        if first is not None:
            routes.append(("/", first.name, False, None))
    return routes


def app_routing(app: App, spec: Any) -> Any:
    """The router's view of an app (``AppRouting``)."""
    from dockyard.router import AppRouting, Route, ServiceBackend, StaticSite

    routes = tuple(Route(prefix=p, component=c, preserve_path_prefix=keep, rewrite=rw)
                   for p, c, keep, rw in spec_routes(spec))
    services = tuple(ServiceBackend(component=s.name, instances=s.instance_count or 1)
                     for s in spec.services or [])
    sites = tuple(StaticSite(component=s.name, index_document=s.index_document or "index.html",
                             error_document=None if s.catchall_document else
                             (s.error_document or "404.html"),
                             catchall_document=s.catchall_document)
                  for s in spec.static_sites or [])
    domains = tuple(d.domain for d in spec.domains or [])
    return AppRouting(app_id=app.id, name=app.name, port=app.port or 0, domains=domains,
                      routes=routes, services=services, sites=sites)


def primary_domain(spec: Any) -> str | None:
    for d in spec.domains or []:
        if str(getattr(d.type, "value", d.type)) == "PRIMARY":
            return d.domain
    return None


def bindings(app: App, spec: Any, commits: dict[str, str]) -> Bindings:
    """Values for ``${APP_URL}``, ``${web.PUBLIC_URL}``, ``${web.COMMIT_HASH}`` …

    The live URL on 127.0.0.1 stands in for DigitalOcean's default ingress; a PRIMARY domain,
    when the spec has one, is ``APP_DOMAIN``. Private URLs go through the app's router port,
    which balances the component's instances.
    """
    live = f"http://127.0.0.1:{app.port}"
    b = Bindings(app={"APP_URL": live, "APP_DOMAIN": primary_domain(spec) or "127.0.0.1",
                      "APP_ID": app.id})
    first_route: dict[str, str] = {}
    for prefix, comp, _keep, _rw in spec_routes(spec):
        first_route.setdefault(comp, prefix)
    for _kind, comp in spec.components():
        values = {"COMMIT_HASH": commits.get(comp.name, "")}
        if comp.name in first_route:
            route = first_route[comp.name]
            url = live + ("" if route == "/" else route)
            values |= {"PUBLIC_ROUTE_PATH": route, "PUBLIC_URL": url, "PRIVATE_URL": url,
                       "PRIVATE_DOMAIN": "127.0.0.1", "PRIVATE_PORT": str(app.port)}
        b.components[comp.name] = values
    return b
