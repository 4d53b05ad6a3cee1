"""``POST /v2/dockyard/apps/{app_id}/spec/envs``: the app's spec text with new env vars.

Dockyard's own endpoint for the dashboard's env editor. It changes nothing: it answers the
stored YAML (comments kept) with the variables of the app or of one component replaced, and
the dashboard then saves that YAML with the normal ``PUT /v2/apps/{id}``, which validates it,
encrypts new SECRET values and starts the deployment. ``spec_version`` guards against
overwriting a spec that someone else changed since the editor opened it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api.bodies import route
from dockyard.api.routes_apps import read_json, the_app
from dockyard.errors import Conflict


def spec_with_envs(request: Request) -> Response:
    from dockyard.offload import call

    app = the_app(request)
    body = read_json(request)
    seen = body.get("spec_version")
    if seen is not None and seen != app.spec_version:
        raise Conflict(f"the spec of {app.name} changed since the editor opened it (version "
                       f"{seen}, now {app.spec_version})", code="spec_changed",
                       hint="Reload the page and make the change again.")
    text = call("spec.replace_envs", text=app.spec_yaml, envs=body.get("envs"))
    return JSONResponse({"spec_yaml": text, "spec_version": app.spec_version})


routes = [
    route("/v2/dockyard/apps/{app_id}/spec/envs", spec_with_envs, ["POST"]),
]
