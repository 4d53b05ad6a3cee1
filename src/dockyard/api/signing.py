"""Signed, expiring log URLs: DigitalOcean's clients fetch them without the API token.

A URL names one deployment's logs of one type (and component); the signature is an HMAC with
a key kept under ``DOCKYARD_HOME`` (mode 0600), so a URL cannot be edited to read another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse

from dockyard.paths import Home

TTL_SECONDS = 3600


def signing_key(home: Home) -> bytes:
    from dockyard.files import write_private

    path = home.run / "log-url.key"
    if not path.exists():
        write_private(path, secrets.token_bytes(32))
    return path.read_bytes()


def _message(app_id: str, dep_id: str, kind: str, component: str, expires: int) -> bytes:
    return f"{app_id}|{dep_id}|{kind}|{component}|{expires}".encode()


def sign(key: bytes, base: str, app_id: str, dep_id: str, kind: str, component: str,
         follow: bool = False, tail: int | None = None) -> str:
    expires = int(time.time()) + TTL_SECONDS
    sig = hmac.new(key, _message(app_id, dep_id, kind, component, expires),
                   hashlib.sha256).hexdigest()
    query = {"type": kind, "component": component, "expires": expires, "sig": sig}
    if follow:
        query["follow"] = "true"
    if tail is not None and tail >= 0:
        query["tail"] = tail
    return f"{base}/logs/{app_id}/{dep_id}?{urllib.parse.urlencode(query)}"


def verify(key: bytes, app_id: str, dep_id: str, kind: str, component: str, expires: str,
           sig: str) -> bool:
    try:
        when = int(expires)
    except ValueError:
        return False
    if when < time.time():
        return False
    good = hmac.new(key, _message(app_id, dep_id, kind, component, when),
                    hashlib.sha256).hexdigest()
    return hmac.compare_digest(good, sig)


def sign_token(key: bytes, claims: dict[str, object], ttl: float) -> str:
    """A self-contained token: the claims (JSON, base64url), an expiry and a nonce, and an
    HMAC over them (the exec console's URL carries one)."""
    body = {**claims, "exp": int(time.time() + ttl), "nonce": secrets.token_hex(8)}
    raw = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode())
    payload = raw.decode().rstrip("=")
    sig = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{sig}"


def verify_token(key: bytes, token: str) -> dict[str, object] | None:
    """The claims of a token we signed that has not expired; None otherwise."""
    payload, _, sig = token.partition(".")
    good = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    if not payload or not hmac.compare_digest(good, sig):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(claims, dict) or int(claims.get("exp", 0)) < time.time():
        return None
    return claims
