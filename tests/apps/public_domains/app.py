"""A tiny WSGI app for the public-mode tests: shows its version, ${APP_URL} and ${APP_DOMAIN}."""

import os
from pathlib import Path

VERSION = Path(__file__).with_name("version.txt").read_text().strip()


def app(environ, start_response):
    if environ.get("PATH_INFO") == "/health":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    body = (f"version={VERSION} url={os.environ.get('MY_URL', '')} "
            f"domain={os.environ.get('MY_DOMAIN', '')} host={environ.get('HTTP_HOST', '')} "
            f"proto={environ.get('HTTP_X_FORWARDED_PROTO', '')}\n").encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
