"""The API in this process: the real Starlette app on a real store and ``Platform`` (its
engine stopped, the runtime and router the recording doubles), spoken to over httpx's ASGI
transport. Quick tests of shapes and error paths; ``tests/conftest.py``'s ``dockyard`` is the
real HTTPS server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from dockyard.api.app import create_app
from dockyard.deploy.platform import Platform
from dockyard.paths import Home
from dockyard.settings import Settings, free_port
from dockyard.store import Store
from tests.deploy.doubles import RecordingRouter, RecordingRuntime


def minimal_spec(name: str, **extra: Any) -> dict[str, Any]:
    """A static site (nothing to run), enough for the API to store and queue."""
    return {"name": name, "static_sites": [{
        "name": "site", "git": {"repo_clone_url": "https://example.invalid/r.git",
                                "branch": "main"}, "routes": [{"path": "/"}]}], **extra}


@dataclass
class Api:
    app: Starlette
    platform: Platform
    admin: str
    viewer: str

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = "admin",
             **kwargs: Any) -> httpx.Response:
        """One request; ``token`` is "admin", "viewer", a token value or None."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = "Bearer " + {"admin": self.admin,
                                                    "viewer": self.viewer}.get(token, token)

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="https://testserver") as client:
                return await client.request(method, path, json=body, headers=headers,
                                            **kwargs)

        return asyncio.run(send())

    def create(self, name: str, **extra: Any) -> dict[str, Any]:
        resp = self.call("POST", "/v2/apps", {"spec": minimal_spec(name, **extra)})
        assert resp.status_code == 200, resp.text
        return resp.json()["app"]


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    yield from api_in(tmp_path, monkeypatch)


def api_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """An API in process on a home under ``tmp_path``: its engine stopped, doubles for the
    runtime and the router (also for module-scoped fixtures, which share one)."""
    home = Home(tmp_path / "home")
    monkeypatch.setenv("DOCKYARD_HOME", str(home.root))
    store = Store(home.db)
    platform = Platform(home, Settings(api_port=free_port(), router_port=free_port()), store)
    platform.services.runtime_override = RecordingRuntime(home, processes=False)
    platform.services.router_override = RecordingRouter()
    platform.engine.stop()  # deployments stay queued
    admin = store.create_token("admin")
    viewer = store.create_token("viewer", read_only=True)
    yield Api(create_app(platform), platform, admin, viewer)
    platform.services.close()
    store.close()


def assert_do_error(resp: Any, status: int, error_id: str) -> dict[str, Any]:
    """DigitalOcean's error body (``id``, ``message``, ``request_id``) with this status; for
    the test client's responses and ``tests.conftest.Response`` alike."""
    got, body = (resp.status_code, resp.json()) if hasattr(resp, "status_code") else (
        resp.status, resp.body)
    assert got == status, body
    assert body["id"] == error_id and body["message"] and len(body["request_id"]) == 36
    return dict(body)
