"""Buildpacks: DigitalOcean's ``GET /v2/apps/buildpacks`` and
``POST /v2/apps/{app_id}/upgrade_buildpack``.

Dockyard's buildpacks are part of Dockyard, so each has one version, Dockyard's own, and it
is always the latest. Upgrading a buildpack therefore means rebuilding, from scratch, every
component the app's live release built with it: the upgrade names those components and
(with ``trigger_deployment``) starts a deployment that rebuilds them (``force_build``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import read_json, route
from dockyard.api.deployment_view import deployment_view
from dockyard.api.routes_apps import platform, the_app
from dockyard.errors import DockyardError, NotFound
from dockyard.store import App

DESCRIPTIONS = {
    "python": ["Python apps: the interpreter asked for by runtime.txt, .python-version or "
               "requires-python; dependencies installed with uv into a cached virtualenv; "
               "collectstatic for Django."],
    "node-js": ["Node.js apps: the host's node checked against engines.node; npm, yarn or pnpm "
             "from the lockfile; the build script; a cached node_modules."],
    "go": ["Go apps: the host's go checked against go.mod; vendor/ or GOPROXY; every main "
           "package built into bin/."],
    "html": ["Static sites: the files (or a build's output_dir) served by nginx."],
}
TITLES = {"python": "Python", "node-js": "Node.js", "go": "Go", "html": "Static site"}


def buildpacks() -> list[Any]:
    from dockyard.buildpacks import BUILDPACKS

    return list(BUILDPACKS)


def buildpack_json(pack: Any) -> dict[str, Any]:
    """A Buildpack object (godo's ``Buildpack``)."""
    from dockyard import __version__

    title = getattr(pack, "title", None) or TITLES.get(pack.name, pack.name)
    return {"id": f"dockyard/{pack.name}", "version": __version__,
            "major_version": int(__version__.split(".")[0]), "latest": True, "name": title,
            "description": DESCRIPTIONS.get(pack.name, [f"{title} buildpack"]) +
            [f"environment_slug: {', '.join(pack.slugs)}"],
            "docs_link": "README.md#buildpacks"}


def find_buildpack(wanted: str) -> Any:
    """The buildpack a request names: its id (``dockyard/python``), its name, one of its
    environment slugs, or DigitalOcean's id for it (``digitalocean/python``,
    ``digitalocean/node``)."""
    key = wanted.strip().lower().removeprefix("dockyard/").removeprefix("digitalocean/")
    for pack in buildpacks():
        if key in (pack.name, pack.name.split("-")[0], *pack.slugs):  # node: node-js
            return pack
    known = ", ".join(f"dockyard/{p.name}" for p in buildpacks())
    raise NotFound(f"buildpack {wanted!r} not found; Dockyard's buildpacks are {known}",
                   hint="`dockyard apps list-buildpacks` lists them.")


def affected(plat: Any, app: App, name: str) -> list[str]:
    """Components of the app's live (else newest built) release built with ``name``."""
    deps = plat.store.list_deployments(app.id)
    built = [d for d in deps if d.phase == "ACTIVE" and d.components] or \
        [d for d in deps if d.components]
    if not built:
        return []
    return [c["name"] for c in built[0].components if c.get("buildpack") == name]


def upgrade_options(body: dict[str, Any]) -> tuple[str, int, bool]:
    """``buildpack_id`` (required), ``major_version`` (0: the latest), ``trigger_deployment``
    (godo leaves it out when false)."""
    wanted = body.get("buildpack_id")
    if not isinstance(wanted, str) or not wanted.strip():
        raise DockyardError('"buildpack_id" is required, e.g. "dockyard/python"',
                            code="bad_request")
    major = body.get("major_version") or 0
    if not isinstance(major, int) or isinstance(major, bool) or major < 0:
        raise DockyardError('"major_version" must be a whole number (0: the latest)',
                            code="bad_request")
    return wanted, major, bool(body.get("trigger_deployment"))


def list_buildpacks(request: Request) -> Response:
    return JSONResponse({"buildpacks": [buildpack_json(p) for p in buildpacks()]})


def upgrade_buildpack(request: Request) -> Response:
    app = the_app(request)
    wanted, major, trigger = upgrade_options(read_json(request))
    pack = find_buildpack(wanted)
    latest = buildpack_json(pack)
    if major and major != latest["major_version"]:
        raise DockyardError(f"{latest['id']} has major version {latest['major_version']} only "
                            f"(version {latest['version']}); got {major}",
                            code="bad_request", hint="Leave major_version out for the latest.")
    plat = platform(request)
    names = affected(plat, app, pack.name)
    body: dict[str, Any] = {"affected_components": names}
    if names and trigger:
        dep = plat.deploy(app, cause=f"upgrade buildpack {latest['id']}", cause_type="MANUAL",
                          force_build=True)
        body["deployment"] = deployment_view(plat.store, dep)
    return JSONResponse(body)


literal_routes = [route("/v2/apps/buildpacks", list_buildpacks, ["GET"])]
routes = [route("/v2/apps/{app_id}/upgrade_buildpack", upgrade_buildpack, ["POST"])]
