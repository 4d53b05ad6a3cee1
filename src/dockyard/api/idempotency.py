"""Replayed POSTs do their work once.

DigitalOcean's client (pydo, through azure-core) retries a POST that answered 500/503/504,
keeping the request's ``x-ms-client-request-id``. A retried ``create_deployment`` must not
queue a second deployment, so a POST that carries that header (or ``Idempotency-Key``) is
answered from a short-lived cache when the same token sends the same key to the same path.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TTL_SECONDS = 600
KEY_HEADERS = (b"idempotency-key", b"x-ms-client-request-id")


class Idempotent:
    def __init__(self, app: ASGIApp, ttl: float = TTL_SECONDS) -> None:
        self.app = app
        self.ttl = ttl
        self.cache: dict[str, tuple[float, list[Message]]] = {}
        self.lock = threading.Lock()

    def key(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        headers = dict(scope["headers"])
        value = next((headers[h] for h in KEY_HEADERS if h in headers), None)
        if not value:
            return None
        auth = headers.get(b"authorization", b"")
        raw = b"|".join([scope["path"].encode(), value, auth])
        return hashlib.sha256(raw).hexdigest()  # the token is part of the key, never stored

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        cached = self.lookup(key)
        if cached is not None:
            for message in cached:
                await send(message)
            return
        sent: list[Message] = []

        async def record(message: Message) -> None:
            sent.append(message)
            await send(message)

        await self.app(scope, receive, record)
        self.store(key, sent)

    def lookup(self, key: str) -> list[Message] | None:
        now = time.monotonic()
        with self.lock:
            for k in [k for k, (at, _) in self.cache.items() if now - at > self.ttl]:
                del self.cache[k]
            entry = self.cache.get(key)
        return entry[1] if entry else None

    def store(self, key: str, messages: list[Any]) -> None:
        with self.lock:
            self.cache[key] = (time.monotonic(), messages)
