"""A tiny WSGI app for zero-downtime tests: serves the text of version.txt."""

import os
from pathlib import Path

VERSION = Path(__file__).with_name("version.txt").read_text().strip()
HEALTHY = Path(__file__).with_name("unhealthy").exists() is False


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        status = "200 OK" if HEALTHY else "500 Internal Server Error"
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok" if HEALTHY else b"unhealthy"]
    body = f"version={VERSION} pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
