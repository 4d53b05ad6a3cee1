"""From an App Spec to the router's table, and the bindable values routes imply."""

from __future__ import annotations

from typing import Any

from dockyard.appspec.traffic import spec_hosts, spec_redirects, spec_routes
from dockyard.store import App


def app_routing(app: App, spec: Any) -> Any:
    """The router's view of an app (``AppRouting``)."""
    from dockyard.router import AppRouting, Route, ServiceBackend, StaticSite
    from dockyard.router.model import Redirect

    routes = tuple(Route(prefix=p, component=c, preserve_path_prefix=keep, rewrite=rw)
                   for p, c, keep, rw in spec_routes(spec))
    services = tuple(ServiceBackend(component=s.name, instances=s.instance_count or 1)
                     for s in spec.services or [])
    sites = tuple(StaticSite(component=s.name, index_document=s.index_document or "index.html",
                             error_document=None if s.catchall_document else
                             (s.error_document or "404.html"),
                             catchall_document=s.catchall_document)
                  for s in spec.static_sites or [])
    return AppRouting(app_id=app.id, name=app.name, port=app.port or 0,
                      domains=tuple(spec_hosts(spec)), routes=routes, services=services,
                      sites=sites, redirects=tuple(Redirect(**r) for r in spec_redirects(spec)))
