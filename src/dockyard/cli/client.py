"""A small HTTPS client for Dockyard's API (stdlib only, so the CLI starts fast).

The CLI never opens the database: every command goes through the API with a token — the
admin token file by default, or ``DOCKYARD_TOKEN`` / ``DIGITALOCEAN_ACCESS_TOKEN``.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import urllib.parse
from typing import Any

from dockyard.errors import DockyardError
from dockyard.paths import Home


class ApiError(DockyardError):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message") or f"HTTP {status}"),
                         code=str(body.get("code") or body.get("id") or "api_error"))
        self.status = status
        self.body = body


class Client:
    def __init__(self, home: Home | None = None) -> None:
        from dockyard.settings import load_settings

        self.home = home or Home.default()
        settings = load_settings(self.home)
        if not settings.api_port:
            raise not_running(self.home)
        self.base = settings.api_url
        self.ctx = ssl.create_default_context(cafile=str(self.home.tls / "ca.pem"))

    def token(self) -> str:
        for var in ("DOCKYARD_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"):
            if os.environ.get(var):
                return os.environ[var]
        from dockyard.secrets import read_admin_token

        return read_admin_token(self.home)

    def request(self, method: str, path: str, body: Any = None,
                query: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        url = urllib.parse.urlsplit(self.base)
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        conn = http.client.HTTPSConnection(url.hostname, url.port, context=self.ctx,
                                           timeout=timeout)
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (ConnectionRefusedError, ssl.SSLError, OSError) as exc:
            raise not_running(self.home, exc) from exc
        finally:
            conn.close()
        payload = json.loads(raw) if raw.strip() else {}
        if resp.status >= 400:
            raise ApiError(resp.status, payload)
        return payload

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        return self.request("GET", path, query={k: v for k, v in query.items() if v is not None})

    def post(self, path: str, body: Any = None) -> dict[str, Any]:
        return self.request("POST", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> dict[str, Any]:
        return self.request("PUT", path, body)

    def delete(self, path: str) -> dict[str, Any]:
        return self.request("DELETE", path)


def not_running(home: Home, exc: Exception | None = None) -> DockyardError:
    why = f" ({exc})" if exc else ""
    return DockyardError(f"Dockyard is not running for DOCKYARD_HOME={home.root}{why}",
                         code="cli.not_running", hint="Start it with `dockyard up`.")


def app_path(ref: str, suffix: str = "") -> str:
    return "/v2/apps/" + urllib.parse.quote(ref, safe="") + suffix
