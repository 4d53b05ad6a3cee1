"""The router's table: what each app exposes, and the checks that keep it safe to render.

Every value that ends up in haproxy.cfg or nginx.conf passes through one of the ``check_*``
functions first, so a route or domain can never inject a config line (a bad value raises
``DockyardError`` naming the field, before any file is touched).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from dockyard.appspec.capabilities import MAX_SERVICE_INSTANCES
from dockyard.errors import DockyardError

# Every pattern is used with fullmatch(): "$" alone would accept a trailing newline.
PREFIX_RE = re.compile(r"/[A-Za-z0-9._~%!+,;=:@/-]*")
DOC_RE = re.compile(r"[A-Za-z0-9._~+-]+(/[A-Za-z0-9._~+-]+)*")
NAME_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
DOMAIN_RE = re.compile(rf"(\*\.)?{LABEL}(\.{LABEL})*\.?")
IDENT_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
MAX_INSTANCES = MAX_SERVICE_INSTANCES


@dataclass(frozen=True)
class Route:
    """One path prefix of an app, sent to one component."""

    prefix: str
    component: str
    preserve_path_prefix: bool = False
    rewrite: str | None = None


@dataclass(frozen=True)
class ServiceBackend:
    """A service component with N instances, so N slot pairs (a, b) in HAProxy."""

    component: str
    instances: int


@dataclass(frozen=True)
class StaticSite:
    """A static site served by nginx from ``sites/<app>/<component>/current``."""

    component: str
    index_document: str = "index.html"
    error_document: str | None = "404.html"
    catchall_document: str | None = None


@dataclass(frozen=True)
class AppRouting:
    """Everything the router needs to know about one app."""

    app_id: str
    name: str
    port: int
    domains: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    services: tuple[ServiceBackend, ...] = ()
    sites: tuple[StaticSite, ...] = ()


@dataclass(frozen=True)
class Program:
    """A process for the supervisor to run in the foreground."""

    name: str
    argv: list[str]
    cwd: str | None = None


@dataclass
class Slot:
    """One instance's pair of HAProxy servers: which is live, and the port each points at."""

    active: str | None = None  # "a", "b" or None before the first switch
    a: int | None = None
    b: int | None = None

    def port(self, name: str) -> int | None:
        return self.a if name == "a" else self.b

    def to_list(self) -> list[Any]:
        return [self.active, self.a, self.b]

    @classmethod
    def from_list(cls, raw: list[Any]) -> Slot:
        return cls(raw[0], raw[1], raw[2])


def ident(value: str) -> str:
    """A config-safe identifier for ``value``; a short hash keeps altered names distinct."""
    low = value.lower()
    if IDENT_RE.fullmatch(low) and len(low) <= 64:
        return low
    clean = re.sub(r"[^a-z0-9-]+", "-", low).strip("-")[:40] or "x"
    return f"{clean}-{hashlib.sha256(value.encode()).hexdigest()[:8]}"


def _bad(field_path: str, found: str, expected: str) -> DockyardError:
    return DockyardError(f"router: {field_path} is {found!r}; expected {expected}",
                         code="router.invalid_routing",
                         hint="Fix the value in the app spec and deploy again.")


def check_prefix(value: str, field_path: str) -> str:
    """A path prefix without a trailing slash ("/" stays "/")."""
    if not isinstance(value, str) or not PREFIX_RE.fullmatch(value) or "/../" in value + "/":
        raise _bad(field_path, value, "a path starting with / made of letters, digits "
                   "and ._~%!+,;=:@-")
    return value.rstrip("/") or "/"


def check_document(value: str, field_path: str) -> str:
    """A file name inside the release (no leading slash, no ``..``)."""
    doc = value.lstrip("/") if isinstance(value, str) else value
    if not isinstance(doc, str) or not DOC_RE.fullmatch(doc) or ".." in doc.split("/"):
        raise _bad(field_path, value, "a relative file path inside the site, like 404.html")
    return doc


def check_app(app: AppRouting) -> None:
    """Reject anything that could not be rendered safely, naming the field."""
    if not isinstance(app.name, str) or not NAME_RE.fullmatch(app.name):
        raise _bad("name", app.name, "lowercase letters, digits and dashes")
    for i, domain in enumerate(app.domains):
        if not isinstance(domain, str) or not DOMAIN_RE.fullmatch(domain.lower()):
            raise _bad(f"domains[{i}]", domain, "a host name like www.example.com")
    for i, svc in enumerate(app.services):
        if not isinstance(svc.instances, int) or not 1 <= svc.instances <= MAX_INSTANCES:
            raise _bad(f"services[{i}].instances", str(svc.instances),
                       f"1 to {MAX_INSTANCES} (one runtime-API line switches them all)")
    _check_routes(app)
    _check_sites(app)


def _check_routes(app: AppRouting) -> None:
    known = {s.component for s in app.services} | {s.component for s in app.sites}
    for i, route in enumerate(app.routes):
        check_prefix(route.prefix, f"routes[{i}].prefix")
        if route.rewrite is not None:
            check_prefix(route.rewrite, f"routes[{i}].rewrite")
        if route.component not in known:
            raise _bad(f"routes[{i}].component", route.component,
                       f"one of the app's services or static sites {sorted(known)}")


def _check_sites(app: AppRouting) -> None:
    for i, site in enumerate(app.sites):
        check_document(site.index_document, f"sites[{i}].index_document")
        for name in ("error_document", "catchall_document"):
            if getattr(site, name) is not None:
                check_document(getattr(site, name), f"sites[{i}].{name}")


def effective_routes(app: AppRouting) -> list[Route]:
    """Routes with normalised prefixes, first one per prefix, longest prefix first."""
    seen: dict[str, Route] = {}
    for route in app.routes:
        prefix = route.prefix.rstrip("/") or "/"
        rewrite = None if route.rewrite is None else (route.rewrite.rstrip("/") or "/")
        seen.setdefault(prefix, Route(prefix, route.component, route.preserve_path_prefix,
                                      rewrite))
    return sorted(seen.values(), key=lambda r: (-len(r.prefix), r.prefix))


def app_to_dict(app: AppRouting) -> dict[str, Any]:
    return {"app_id": app.app_id, "name": app.name, "port": app.port,
            "domains": list(app.domains),
            "routes": [[r.prefix, r.component, r.preserve_path_prefix, r.rewrite]
                       for r in app.routes],
            "services": [[s.component, s.instances] for s in app.services],
            "sites": [[s.component, s.index_document, s.error_document, s.catchall_document]
                      for s in app.sites]}


def app_from_dict(raw: dict[str, Any]) -> AppRouting:
    return AppRouting(app_id=raw["app_id"], name=raw["name"], port=int(raw["port"]),
                      domains=tuple(raw.get("domains", ())),
                      routes=tuple(Route(*r) for r in raw.get("routes", ())),
                      services=tuple(ServiceBackend(*s) for s in raw.get("services", ())),
                      sites=tuple(StaticSite(*s) for s in raw.get("sites", ())))
