"""What Dockyard can run, where it is less than what DigitalOcean accepts.

Checked by the server at propose, create and update (``deploy.specs.check``), never by the
offline ``apps spec validate``: that one keeps DigitalOcean's rules only, so a spec that is
valid on DigitalOcean validates offline anywhere. Each refusal names the field path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import Loc

MAX_SERVICE_INSTANCES = 50
"""Instances of one service behind the router: one HAProxy runtime-API line switches them
all at once, and that line has a fixed buffer (DigitalOcean allows 250)."""
RUNNABLE_ENGINES = ("PG",)
"""Database engines Dockyard provides (its own PostgreSQL, or an external PG cluster)."""


def unsupported(spec: Any) -> Iterator[tuple[Loc, str]]:
    """(field path, reason) for every part of a valid spec Dockyard cannot run."""
    for index, db in enumerate(spec.databases):
        engine = str(getattr(db.engine, "value", db.engine))
        if engine not in RUNNABLE_ENGINES:
            where = (f' (production cluster "{db.cluster_name}")' if db.production
                     else "")
            yield ("databases", index, "engine"), (
                f"Dockyard runs PostgreSQL databases only (engine: PG); a {engine} "
                f"database{where} cannot be provided or used here")
    for index, svc in enumerate(spec.services):
        if svc.instance_count > MAX_SERVICE_INSTANCES:
            yield ("services", index, "instance_count"), (
                f"Dockyard runs at most {MAX_SERVICE_INSTANCES} instances of a service behind "
                f"its router (found {svc.instance_count})")
