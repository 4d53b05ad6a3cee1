"""A Deployment as DigitalOcean returns it from the moment it exists.

The deploy worker writes a deployment's progress tree and component commits once it starts,
so a deployment fresh from create-deployment, restart or rollback has neither yet. The view
fills in what is already known: the pending progress tree of the spec's components, each
component by kind (with the commit of the deployment it was cloned from, for restarts and
rollbacks), and the spec it deploys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.api.shapes import deployment_json
from dockyard.deploy.context import BUILT_KINDS
from dockyard.deploy.progress import new_progress
from dockyard.errors import NotFound
from dockyard.store import Deployment, Store

KIND_LISTS = (("services", "service"), ("workers", "worker"), ("jobs", "job"),
              ("static_sites", "static_site"))
"""Spec list and component kind, in godo's order (the order the deploy worker builds in)."""

SpecOf = Callable[[int], dict[str, Any]]


def spec_lookup(store: Store, app_id: str) -> SpecOf:
    """Spec versions of one app, each read once per request."""
    cache: dict[int, dict[str, Any]] = {}

    def spec_of(version: int) -> dict[str, Any]:
        if version not in cache:
            cache[version] = store.spec_version(app_id, version)
        return cache[version]

    return spec_of


def built_components(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(kind, name)`` of every component a deployment of ``spec`` builds and runs."""
    return [(kind, comp.get("name", "")) for field, kind in KIND_LISTS if kind in BUILT_KINDS
            for comp in spec.get(field) or []]


def deployment_view(store: Store, dep: Deployment,
                    spec_of: SpecOf | None = None) -> dict[str, Any]:
    """The Deployment object with its spec, and its progress and components even before the
    worker has written them."""
    spec_of = spec_of or spec_lookup(store, dep.app_id)
    spec = spec_of(dep.spec_version)
    body = deployment_json(dep, spec)
    components = built_components(spec)
    if not dep.progress:
        body["progress"] = new_progress(components)
    have = {c["name"] for c in dep.components}
    missing = [(kind, name) for kind, name in components if name not in have]
    if missing:
        commits = cloned_commits(store, dep)
        for kind, name in missing:
            body.setdefault(kind + "s", []).append(
                {"name": name, "source_commit_hash": commits.get(name, "")})
    return body


def cloned_commits(store: Store, dep: Deployment) -> dict[str, str]:
    """Component → commit of the deployment a restart or rollback reuses ({} otherwise)."""
    if not dep.cloned_from:
        return {}
    try:
        source = store.get_deployment(dep.app_id, dep.cloned_from)
    except NotFound:  # a pruned source leaves the commits unknown
        return {}
    return {c["name"]: c.get("commit", "") for c in source.components}
