"""A service with no dependencies for the deploy core's tests (the standard library serves).

``/`` answers ``version=<version.txt>``, ``/greeting`` the value of ``$GREETING``; ``/health``
answers 200, or 500 while a file named ``unhealthy`` is in the release, or 400 when the Host
header is not the app's live host (as Django's ALLOWED_HOSTS would). A file named ``crash``
makes it exit at once.
"""

import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).parent
VERSION = (HERE / "version.txt").read_text().strip()
LIVE_HOST = urlsplit(os.environ.get("APP_URL", "")).netloc


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            if LIVE_HOST and self.headers.get("Host") != LIVE_HOST:
                return self.answer(400, f"bad Host {self.headers.get('Host')}")
            if (HERE / "unhealthy").exists():
                return self.answer(500, "unhealthy")
            return self.answer(200, "ok")
        if self.path == "/greeting":
            return self.answer(200, os.environ.get("GREETING", ""))
        return self.answer(200, f"version={VERSION} pid={os.getpid()}")

    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


if (HERE / "crash").exists():
    print(f"crashing on purpose: version {VERSION}", flush=True)
    sys.exit(3)
print(f"version {VERSION} listening on {os.environ['PORT']}", flush=True)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
