"""What a valid spec says about traffic: which path goes to which component, and the
PRIMARY domain. The router's table and the bindable URLs are both made from these."""

from __future__ import annotations

from typing import Any


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


def spec_hosts(spec: Any) -> list[str]:
    """The host names the spec's domains answer to; a ``wildcard`` one adds ``*.<domain>``."""
    hosts: list[str] = []
    for d in spec.domains or []:
        hosts.append(d.domain)
        if d.wildcard:
            hosts.append(f"*.{d.domain}")
    return hosts


def spec_redirects(spec: Any) -> list[dict[str, Any]]:
    """``ingress.rules[]`` that redirect: the path prefix and Host they match, and where to."""
    out = []
    ingress = getattr(spec, "ingress", None)
    for rule in (getattr(ingress, "rules", None) or []):
        target = rule.redirect
        if target is None:
            continue
        match = rule.match
        prefix = match.path.prefix if match and match.path and match.path.prefix else "/"
        host = match.authority.exact if match and match.authority else None
        out.append({"prefix": prefix, "host": host, "uri": target.uri,
                    "authority": target.authority, "port": target.port,
                    "scheme": str(getattr(target.scheme, "value", target.scheme)).lower(),
                    "code": int(target.redirect_code)})
    return out


def primary_domain(spec: Any) -> str | None:
    for d in spec.domains or []:
        if str(getattr(d.type, "value", d.type)) == "PRIMARY":
            return d.domain
    return None


def primary_domain_of(data: dict[str, Any]) -> str | None:
    """The PRIMARY domain of a spec stored as a dict (the API's and the store's form)."""
    for d in data.get("domains") or []:
        if str(d.get("type", "")) == "PRIMARY":
            return str(d["domain"])
    return None
