"""``/v2/apps``: list, create, get (by id or ``?name=``), update, delete, propose.

The catalogue routes (``/v2/apps/regions``, ``/v2/apps/tiers/…``) are spliced in before
``/v2/apps/{app_id}``: Starlette takes the first route that matches, and a literal path must
never be read as an app id.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.api import routes_catalog
from dockyard.api.bodies import read_json, route
from dockyard.api.deployment_view import deployment_view, spec_lookup
from dockyard.api.errors import error_response
from dockyard.api.shapes import app_json, page
from dockyard.appspec.traffic import primary_domain_of
from dockyard.errors import DockyardError, NotFound
from dockyard.isolation import describe_app
from dockyard.store import App


def spec_from_body(body: dict[str, Any], **options: bool) -> dict[str, Any]:
    """The checked spec of a request: from ``spec_yaml`` when the client sent the user's YAML
    text (so comments survive), else from DigitalOcean's ``spec`` object. Checking runs in a
    child process (``deploy.specs.check``), so the API server stays small. ``options``:
    ``inspect`` (propose: look into the repositories), ``gate`` (create, update: refuse what
    will not deploy unless the body asks ``skip_undeployable``)."""
    from dockyard.offload import call

    if options.get("gate"):
        options["skip_undeployable"] = body.get("skip_undeployable") is True
    text = body.get("spec_yaml")
    if isinstance(text, str) and text.strip():
        return call("spec.check", text=text, **options)
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise DockyardError('request body needs "spec": an App Spec object',
                            code="bad_request")
    return call("spec.check", data=spec, **options)


def public_base(request: Request) -> str:
    """The API's URL as this client reached it: through the public ingress (its Host), or
    the local listener. Other Host values are not trusted for URLs handed out."""
    settings = platform(request).settings
    host = (request.headers.get("host") or "").split(":")[0].lower()
    if settings.public and host == settings.public_api_host:
        return settings.public_api_url
    return settings.api_url


def public_problems(request: Request, checked: dict[str, Any]) -> None:
    """Public mode refuses what it cannot serve (a wildcard without a DNS-01 hook, the API's
    own host name) before anything is recorded."""
    settings = platform(request).settings
    if not settings.public:
        return
    from dockyard.ingress.names import spec_problems

    problems = spec_problems(settings, checked["spec"])
    if problems:
        raise DockyardError("; ".join(f"{path}: {message}" for path, message in problems),
                            code="spec.invalid",
                            hint="Fix the spec, or configure what it needs, and try again.")


def paging(request: Request) -> tuple[int, int]:
    try:
        page_no = max(1, int(request.query_params.get("page", 1)))
        per_page = min(200, max(1, int(request.query_params.get("per_page", 20))))
    except ValueError as exc:
        raise DockyardError("page and per_page must be whole numbers") from exc
    return page_no, per_page


def platform(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.platform


def the_app(request: Request) -> App:
    """The app named by the path's ``{app_id}`` (an id or a name); 404 when there is none."""
    return platform(request).store.get_app(request.path_params["app_id"])


def app_body(plat: Any, app: App, states: dict[str, Any] | None = None) -> dict[str, Any]:
    """The App object; in public mode with its domains' phases (``app.domains[]``)."""
    settings = plat.settings
    spec_of = spec_lookup(plat.store, app.id)
    body = app_json(app, plat.store.list_deployments(app.id),
                    settings.live_url(app.port, app.name, primary_domain_of(app.spec)),
                    settings.default_ingress(app.port, app.name),
                    lambda dep: deployment_view(plat.store, dep, spec_of))
    body["dockyard"]["isolation"] = describe_app(app.id, app.spec, plat.services.isolation)
    if settings.public:
        from dockyard.ingress.shapes import app_domains_json, default_ingress_json
        from dockyard.ingress.state import load_states

        states = load_states(plat.home.ingress) if states is None else states
        body["domains"] = app_domains_json(app.id, app.spec, states)
        host = settings.app_host(app.name)
        body["dockyard"]["default_ingress"] = default_ingress_json(host, states.get(host))
        body["dockyard"]["hostnames"] = [host]
    return body


def read_only(request: Request) -> bool:
    """The request's token may only read (set by ``auth.TokenAuth``)."""
    token = request.scope.get("state", {}).get("token")
    return token is None or bool(getattr(token, "read_only", True))


def one_app(request: Request, app) -> JSONResponse:  # type: ignore[no-untyped-def]
    """One app; it carries the GitHub webhook URL, and for tokens that may write, the secret
    for deploy_on_push setup (a read-only token could otherwise sign pushes)."""
    plat = platform(request)
    body = app_body(plat, app)
    hook: dict[str, Any] = {"url": public_base(request) + "/v2/webhooks/github",
                            "content_type": "application/json", "events": ["push"]}
    if read_only(request):
        hook["secret_hidden"] = "the secret is shown only to tokens that can write"
    else:
        hook["secret"] = plat.webhook_secret(app)
    body["dockyard"]["webhook"] = hook
    return JSONResponse({"app": body})


def list_or_get_apps(request: Request) -> Response:
    name = request.query_params.get("name")
    if name and request.url.path.endswith("/"):
        return one_app(request, platform(request).store.get_app(name))
    apps = platform(request).store.list_apps()
    page_no, per_page = paging(request)
    items, links, meta = page(str(request.url), apps, page_no, per_page)
    plat = platform(request)
    states = None
    if plat.settings.public:
        from dockyard.ingress.state import load_states

        states = load_states(plat.home.ingress)
    return JSONResponse({"apps": [app_body(plat, a, states) for a in items],
                         "links": links, "meta": meta})


def create_app(request: Request) -> Response:
    body = read_json(request)
    checked = spec_from_body(body, gate=True)
    public_problems(request, checked)
    app = platform(request).create_app(checked)
    return one_app(request, app)


def get_app(request: Request) -> Response:
    return one_app(request, the_app(request))


def update_app(request: Request) -> Response:
    body = read_json(request)
    app = the_app(request)
    checked = spec_from_body(body, gate=True)
    public_problems(request, checked)
    app = platform(request).update_app(
        app, checked, update_sources=bool(body.get("update_all_source_versions")))
    return one_app(request, app)


def delete_app(request: Request) -> Response:
    app = the_app(request)
    platform(request).delete_app(app)
    return JSONResponse({"id": app.id})


def propose(request: Request) -> Response:
    """Validate on the server; a token that may write also has the repositories looked into
    (a read-only token must not make the server fetch URLs of its choosing)."""
    body = read_json(request)
    token = getattr(request.state, "token", None)
    inspect = not getattr(token, "read_only", False)
    return JSONResponse(platform(request).propose(spec_from_body(body, inspect=inspect),
                                                  body.get("app_id")))


async def not_found(request: Request) -> Response:
    raise NotFound(f"no such endpoint: {request.method} {request.url.path}")


def unknown_method(request: Request) -> Response:
    return error_response(405, f"{request.method} is not allowed on {request.url.path}")


routes = [
    route("/v2/apps", list_or_get_apps, ["GET"]),
    route("/v2/apps/", list_or_get_apps, ["GET"]),
    route("/v2/apps", create_app, ["POST"]),
    route("/v2/apps/propose", propose, ["POST"]),
    *routes_catalog.routes,
    route("/v2/apps/{app_id}", get_app, ["GET"]),
    route("/v2/apps/{app_id}", update_app, ["PUT"]),
    route("/v2/apps/{app_id}", delete_app, ["DELETE"]),
]
