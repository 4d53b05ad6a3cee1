"""Whether a registry has an image, asked before anything is built (``apps propose``).

One ``HEAD`` of the manifest through the registry's HTTP API (v2, which Docker Hub, GHCR,
DOCR and Debian's docker-registry all speak), with the token dance of a registry that wants
one (anonymous, or with the image's ``registry_credentials``). Nothing is downloaded; the
build's ``buildah pull`` is still the judge. ``settings.registry_mirrors`` applies as for the
pull, and loopback registries are spoken to over plain HTTP, as buildah does.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from dockyard.buildpacks.imageref import ImageRef, is_loopback

API_HOSTS = {"docker.io": "registry-1.docker.io"}   # Docker Hub's API is not at docker.io
ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"))
CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def missing_reason(ref: ImageRef, mirrors: Mapping[str, str] | None = None,
                   credentials: str | None = None, timeout: float = 10) -> str | None:
    """None when the registry has ``ref``; else what is wrong, in words."""
    location = (mirrors or {}).get(ref.host, ref.host).rstrip("/")
    host, _, prefix = location.partition("/")
    host = API_HOSTS.get(host, host)
    scheme = "http" if is_loopback(host) else "https"
    path = "/".join(p for p in (prefix, ref.path) if p)
    url = f"{scheme}://{host}/v2/{path}/manifests/{ref.digest or ref.tag}"
    shown = f"{ref.path}{'@' + ref.digest if ref.digest else ':' + str(ref.tag)}"
    try:
        status = _head(url, credentials, timeout)
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        return f"the registry {host} could not be reached ({reason})"
    if status == 200:
        return None
    if status == 404:
        return f"the registry {host} has no image {shown}"
    if status in (401, 403):
        return (f"the registry {host} refused access to {shown} "
                f"({'wrong registry_credentials' if credentials else 'it needs credentials'})")
    return f"the registry {host} answered HTTP {status} for {shown}"


def _head(url: str, credentials: str | None, timeout: float) -> int:
    """The manifest's status, after one authentication round when the registry asks."""
    status, challenge = _request(url, {}, timeout)
    if status != 401 or not challenge:
        return status
    scheme, _, params = challenge.partition(" ")
    basic = {"Authorization": "Basic " + base64.b64encode(
        (credentials or "").encode()).decode()} if credentials else {}
    if scheme.lower() == "basic":
        return _request(url, basic, timeout)[0] if basic else status
    fields = dict(CHALLENGE.findall(params))
    realm = fields.pop("realm", "")
    if not realm.startswith(("https://", "http://")):
        return status
    token_url = f"{realm}?{urllib.parse.urlencode(fields)}"
    req = urllib.request.Request(token_url, headers=basic)
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - registry realm
        data = json.loads(resp.read() or b"{}")
    token = data.get("token") or data.get("access_token") or ""
    return _request(url, {"Authorization": f"Bearer {token}"}, timeout)[0]


def _request(url: str, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    req = urllib.request.Request(url, method="HEAD", headers={"Accept": ACCEPT, **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            return int(resp.status), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("WWW-Authenticate", "")
