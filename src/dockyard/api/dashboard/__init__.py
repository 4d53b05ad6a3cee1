"""The web dashboard: HTML shells and vanilla JS modules served by the API server.

The pages hold no data, so they need no token: the browser's JS reads the ``/v2`` API with
the token the user typed (kept in ``sessionStorage``) and follows logs through the signed
``/logs/`` URLs the API hands out. Nothing is built and nothing comes from another host; a
Content-Security-Policy of ``'self'`` keeps it that way at run time.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from dockyard.api.errors import error_response

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# A flat folder of known file types: a name that matches cannot leave STATIC.
STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|png|ico)$")
MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
               "png": "image/png", "ico": "image/x-icon"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]))


def render(name: str, **context: object) -> HTMLResponse:
    """One page shell; ``version`` busts the browser cache of the JS after an upgrade."""
    from dockyard import __version__

    html = templates.get_template(name).render(version=__version__, **context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


async def to_dashboard(request: Request) -> Response:
    return RedirectResponse("/dashboard/", status_code=307)


async def apps_page(request: Request) -> Response:
    return render("apps.html", page="apps", title="Apps")


async def signin_page(request: Request) -> Response:
    return render("signin.html", page="signin", title="Sign in")


async def new_app_page(request: Request) -> Response:
    return render("new.html", page="new", title="Create an app")


# An app's pages: the tab in the URL, its template, its JS module (``static/<page>.js``).
TABS = {
    "": ("app.html", "app", "Overview"),
    "env": ("env.html", "env", "Environment"),
    "metrics": ("metrics.html", "metrics", "Metrics"),
    "instances": ("instances.html", "instances", "Instances"),
    "console": ("console.html", "console", "Console"),
    "jobs": ("jobs.html", "jobs", "Jobs"),
    "spec": ("spec-tab.html", "spec-tab", "Spec"),
}


async def app_page(request: Request) -> Response:
    """One tab of an app; an unknown tab is the API's 404 body."""
    tab = request.path_params.get("tab", "")
    if tab not in TABS:
        return error_response(404, f"no dashboard page named {tab!r}; an app's pages are: "
                                   + ", ".join(t or "(overview)" for t in TABS))
    template, page, title = TABS[tab]
    tabs = [(name, label) for name, (_t, _p, label) in TABS.items()]
    return render(template, page=page, title=title, app_id=request.path_params["app_id"],
                  tab=tab, tabs=tabs)


async def static_file(request: Request) -> Response:
    """A file from ``static/``; anything else is the API's 404 body."""
    name = request.path_params["name"]
    match = STATIC_NAME.fullmatch(name)
    path = STATIC / name
    if not match or not path.is_file():
        return error_response(404, f"no dashboard file named {name!r}")
    return FileResponse(path, media_type=MEDIA_TYPES[match.group(1)],
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


routes: list[BaseRoute] = [
    Route("/", to_dashboard, methods=["GET"]),
    Route("/dashboard", to_dashboard, methods=["GET"]),
    Route("/dashboard/", apps_page, methods=["GET"]),
    Route("/dashboard/signin", signin_page, methods=["GET"]),
    Route("/dashboard/new", new_app_page, methods=["GET"]),
    Route("/dashboard/apps/{app_id}", app_page, methods=["GET"]),
    Route("/dashboard/apps/{app_id}/{tab}", app_page, methods=["GET"]),
    Route("/dashboard/static/{name}", static_file, methods=["GET"]),
]
