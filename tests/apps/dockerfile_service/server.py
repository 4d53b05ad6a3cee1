"""A tiny HTTP server: listens on $PORT (as App Platform asks), shows what it runs with."""

import http.server
import json
import os
from pathlib import Path


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            return self.reply(200, b"ok")
        if self.path == "/info":
            Path("/app/data/visits").write_text("written by the instance")  # the app's files
            info = {"uid": os.getuid(), "cwd": os.getcwd(), "home": os.environ.get("HOME"),
                    "greeting": os.environ.get("GREETING"), "port": os.environ.get("PORT"),
                    "pid1": Path("/proc/1/cmdline").read_bytes().split(b"\0")[0].decode(),
                    "build_info": Path("/app/build-info.txt").read_text().strip(),
                    "host_home_visible": Path("/root/.dockyard").exists()
                    or Path("/work").exists()}
            return self.reply(200, json.dumps(info).encode())
        version = Path("/app/version.txt").read_text().strip()
        return self.reply(200, f"version={version} {os.environ.get('GREETING')}\n".encode())

    def reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the load loop's thousands of requests would flood the run log


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
