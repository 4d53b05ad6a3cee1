"""Bindable variables (``${APP_URL}``, ``${web.PRIVATE_URL}``, ``${db.DATABASE_URL}`` …).

Resolved at deploy time from what Dockyard knows locally: the app's live URL stands in for
its default domain, ``<component>.PRIVATE_URL`` points at the component's route through the
router, databases come from the database stage. Database values never resolve at build time
(reference §5.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
