"""From an App Spec to the router's table."""

from __future__ import annotations

from dockyard.appspec import parse_spec_data
from dockyard.deploy.routing import app_routing
from dockyard.router import Route, ServiceBackend, StaticSite
from dockyard.store import App

SOURCE = {"git": {"repo_clone_url": "/srv/app.git"}}


def app(port: int | None = 8123) -> App:
    return App("id-1", "shop", 1, port, None, None, "t", "t")


def routing(spec: dict):  # type: ignore[no-untyped-def, type-arg]
    return app_routing(app(), parse_spec_data(spec).spec)


def test_services_sites_routes_and_domains_reach_the_table():
    table = routing({"name": "shop", "domains": [{"domain": "shop.example.com"}],
                     "services": [{"name": "web", **SOURCE, "instance_count": 3,
                                   "routes": [{"path": "/"}]},
                                  {"name": "api", **SOURCE, "routes": [
                                      {"path": "/api", "preserve_path_prefix": True}]}],
                     "static_sites": [{"name": "docs", **SOURCE, "routes": [{"path": "/docs"}],
                                       "index_document": "main.html"}]})
    assert (table.app_id, table.name, table.port) == ("id-1", "shop", 8123)
    assert table.domains == ("shop.example.com",)
    assert table.services == (ServiceBackend("web", 3), ServiceBackend("api", 1))
    assert table.sites == (StaticSite("docs", index_document="main.html",
                                      error_document="404.html"),)
    assert table.routes == (Route("/", "web"), Route("/api", "api", preserve_path_prefix=True),
                            Route("/docs", "docs"))


def test_a_single_service_without_routes_gets_the_root():
    table = routing({"name": "shop", "services": [{"name": "web", **SOURCE}]})
    assert table.routes == (Route("/", "web"),)


def test_a_catchall_document_replaces_the_error_document():
    table = routing({"name": "shop", "static_sites": [{"name": "spa", **SOURCE,
                                                       "catchall_document": "index.html"}]})
    assert table.sites == (StaticSite("spa", error_document=None,
                                      catchall_document="index.html"),)


def test_an_app_without_a_port_gets_no_frontend_port():
    assert app_routing(app(None), parse_spec_data(
        {"name": "shop", "services": [{"name": "web", **SOURCE}]}).spec).port == 0
