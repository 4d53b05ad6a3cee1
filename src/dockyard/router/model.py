"""The router's table: what each app exposes, and the checks that keep it safe to render.

Every value that ends up in haproxy.cfg or nginx.conf passes through one of the ``check_*``
functions first, so a route or domain can never inject a config line (a bad value raises
``DockyardError`` naming the field, before any file is touched).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
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
class Redirect:
    """An ``ingress.rules[].redirect``: a request under ``prefix`` (on ``host``, when set) gets
    a ``code`` answer pointing at ``scheme://authority:port/uri`` (unset parts are kept)."""

    prefix: str = "/"
    host: str | None = None           # match.authority.exact
    uri: str | None = None
    authority: str | None = None
    port: int | None = None
    scheme: str = "https"
    code: int = 302


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
    redirects: tuple[Redirect, ...] = ()


@dataclass(frozen=True)
class PublicIngress:
    """Public mode: HAProxy's own listeners for the world (docs/router.md "Public mode").

    Plain HTTP on ``http_port`` answers ACME HTTP-01 challenges from ``challenge_map`` and
    redirects everything else to HTTPS. HTTPS on ``https_port`` picks a certificate by SNI from
    ``crt_list`` and routes by Host: ``<app>.<domain>``, the spec's domains, and ``api_host``
    to the API server on 127.0.0.1 (checked against the local CA ``api_ca``).
    """

    domain: str
    http_port: int
    https_port: int
    binds: tuple[str, ...]
    crt_list: Path
    challenge_map: Path
    default_cert: Path
    api_host: str
    api_port: int
    api_ca: Path
    api_allow: tuple[str, ...] = ()

    def app_host(self, name: str) -> str:
        return f"{name}.{self.domain}".lower()


def check_public(public: PublicIngress) -> None:
    """Reject values that could not be rendered safely (they come from settings)."""
    for field_name, value in (("domain", public.domain), ("api_domain", public.api_host)):
        if not DOMAIN_RE.fullmatch(value.lower()) or value.startswith("*."):
            raise _bad_setting(field_name, value, "a host name like apps.example.com")
    for port_name, port in (("http_port", public.http_port), ("https_port", public.https_port)):
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise _bad_setting(port_name, str(port), "a TCP port from 1 to 65535")
    for addr in public.binds:
        _address(addr, "bind")
    for net in public.api_allow:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise _bad_setting("api_allow", net, "networks like 203.0.113.0/24 or 2001:db8::/32") \
                from None


def _address(addr: str, field_name: str) -> None:
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        raise _bad_setting(field_name, addr, "an IP address such as 0.0.0.0, :: or 127.0.0.1") \
            from None


def _bad_setting(name: str, found: str, expected: str) -> DockyardError:
    return DockyardError(f"public mode: {name} is {found!r}; expected {expected}",
                         code="router.invalid_setting",
                         hint="Fix it with `dockyard up --public …` or in config.json.")


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
    for i, redirect in enumerate(app.redirects):
        _check_redirect(redirect, f"redirects[{i}]")


REDIRECT_CODES = (300, 301, 302, 303, 304, 307, 308)


def _check_redirect(r: Redirect, where: str) -> None:
    check_prefix(r.prefix, f"{where}.prefix")
    if r.uri is not None:
        check_prefix(r.uri, f"{where}.uri")
    for name in ("host", "authority"):
        value = getattr(r, name)
        if value is not None and not DOMAIN_RE.fullmatch(value.lower()):
            raise _bad(f"{where}.{name}", value, "a host name like www.example.com")
    if r.scheme not in ("http", "https"):
        raise _bad(f"{where}.scheme", r.scheme, "http or https")
    if r.code not in REDIRECT_CODES:
        raise _bad(f"{where}.redirect_code", str(r.code), f"one of {REDIRECT_CODES}")
    if r.port is not None and not (isinstance(r.port, int) and 1 <= r.port <= 65535):
        raise _bad(f"{where}.port", str(r.port), "a TCP port from 1 to 65535")


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
                      for s in app.sites],
            "redirects": [[r.prefix, r.host, r.uri, r.authority, r.port, r.scheme, r.code]
                          for r in app.redirects]}


def app_from_dict(raw: dict[str, Any]) -> AppRouting:
    return AppRouting(app_id=raw["app_id"], name=raw["name"], port=int(raw["port"]),
                      domains=tuple(raw.get("domains", ())),
                      routes=tuple(Route(*r) for r in raw.get("routes", ())),
                      services=tuple(ServiceBackend(*s) for s in raw.get("services", ())),
                      sites=tuple(StaticSite(*s) for s in raw.get("sites", ())),
                      redirects=tuple(Redirect(*r) for r in raw.get("redirects", ())))
