"""Bindable variables (``${APP_URL}``, ``${web.PRIVATE_URL}``, ``${db.DATABASE_URL}`` …).

Resolved at deploy time from what Dockyard knows locally: the app's live URL stands in for
its default domain, ``<component>.PRIVATE_URL`` points at the component's route through the
router, databases come from the database stage. Database values never resolve at build time
.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dockyard.appspec.traffic import primary_domain, spec_routes

REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_][A-Za-z0-9_\-]*)*)\}")


@dataclass
class Bindings:
    """Everything ``${…}`` may refer to, keyed the way specs write it."""

    app: dict[str, str] = field(default_factory=dict)                 # APP_URL, APP_DOMAIN, APP_ID
    components: dict[str, dict[str, str]] = field(default_factory=dict)
    databases: dict[str, dict[str, str]] = field(default_factory=dict)

    def lookup(self, ref: str, owner: str, *, build: bool) -> str | None:
        parts = ref.split(".")
        if len(parts) == 1:
            return self.app.get(ref)
        name = owner if parts[0] == "_self" else parts[0]
        if name in self.databases:
            if build:
                return None
            return self.databases[name].get(".".join(parts[1:]))
        return self.components.get(name, {}).get(parts[1]) if len(parts) == 2 else None


def resolve(value: str, bindings: Bindings, owner: str, *, build: bool) -> str:
    """Replace every known reference; unknown ones stay as written (as DigitalOcean does)."""

    def one(match: re.Match[str]) -> str:
        found = bindings.lookup(match.group(1), owner, build=build)
        return match.group(0) if found is None else found

    return REF.sub(one, value)


def bindings_for(spec: Any, app_id: str, port: int | None, live: str,
                 commits: dict[str, str]) -> Bindings:
    """Values for ``${APP_URL}``, ``${web.PUBLIC_URL}``, ``${web.COMMIT_HASH}`` …

    ``live`` is the app's live URL (``Settings.live_url``: ``http://127.0.0.1:<port>`` in local
    mode, ``https://<primary or app>.<domain>`` in public mode). ``APP_DOMAIN`` is the PRIMARY
    domain when the spec has one, else the live URL's host name. Private URLs go through the
    app's own router port on 127.0.0.1, which balances the component's instances.
    """
    host = urlsplit(live).hostname or "127.0.0.1"
    b = Bindings(app={"APP_URL": live, "APP_DOMAIN": primary_domain(spec) or host,
                      "APP_ID": app_id})
    private = f"http://127.0.0.1:{port}" if port else live
    first_route: dict[str, str] = {}
    for prefix, comp, _keep, _rw in spec_routes(spec):
        first_route.setdefault(comp, prefix)
    for _kind, comp in spec.components():
        values = {"COMMIT_HASH": commits.get(comp.name, "")}
        if comp.name in first_route:
            route = first_route[comp.name]
            path = "" if route == "/" else route
            values |= {"PUBLIC_ROUTE_PATH": route, "PUBLIC_URL": live + path,
                       "PRIVATE_URL": private + path,
                       "PRIVATE_DOMAIN": "127.0.0.1", "PRIVATE_PORT": str(port)}
        b.components[comp.name] = values
    return b
