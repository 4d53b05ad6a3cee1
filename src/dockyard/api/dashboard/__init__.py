"""The web dashboard (served by the API server; no build step, no CDN)."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
