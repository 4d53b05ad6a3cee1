"""Where an image comes from, as buildah names it: an ``image`` source, or a Dockerfile's FROM.

DigitalOcean's ``image`` fields map onto a reference:

- ``registry_type: DOCKER_HUB``: ``docker.io/<registry>/<repository>`` (``registry`` is the
  Docker Hub account; without one, ``docker.io/library/<repository>`` as Docker does);
- ``GHCR``: ``ghcr.io/<registry>/<repository>``;
- ``DOCR``: ``<docr_registry>/<repository>``, where ``docr_registry`` (config.json, e.g.
  ``registry.digitalocean.com/my-team``) names the account's registry, which DigitalOcean
  knows and Dockyard cannot;
- a ``registry`` that is a host (it has a dot or a port, or is ``localhost``) is used as it
  is, whatever the type: any registry (a Dockyard extension).

``tag`` (default ``latest``) or ``digest`` completes it. Registries on the loopback network
are spoken to over plain HTTP, as Docker treats 127.0.0.0/8 as insecure; every other one
over HTTPS with verified certificates.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dockyard.errors import DockyardError

HOSTS = {"DOCKER_HUB": "docker.io", "GHCR": "ghcr.io"}
NAME = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)"
                  r"[a-z0-9]+)*)*$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class ImageRef:
    host: str          # docker.io, ghcr.io, 127.0.0.1:5000 …
    path: str          # library/nginx, team/app
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.host}/{self.path}"

    @property
    def reference(self) -> str:
        """``name@digest`` when pinned, else ``name:tag``."""
        return f"{self.name}@{self.digest}" if self.digest else f"{self.name}:{self.tag}"

    @property
    def insecure(self) -> bool:
        return is_loopback(self.host)


def is_host(part: str) -> bool:
    """Docker's rule: the first part of a name is a registry host when it has a dot or a
    port, or is ``localhost``."""
    return "." in part or ":" in part or part == "localhost"


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def image_ref(fields: Mapping[str, object], docr_registry: str = "",
              where: str = "image") -> ImageRef:
    """The reference of a spec's ``image`` source; ``DockyardError`` saying which field is
    wrong and what was expected."""
    kind = str(fields.get("registry_type") or "UNSPECIFIED")
    registry = str(fields.get("registry") or "").strip("/")
    repository = str(fields.get("repository") or "").strip("/")
    tag, digest = fields.get("tag"), fields.get("digest")
    if registry and is_host(registry.split("/", 1)[0]):
        host, _, prefix = registry.partition("/")
    elif kind == "DOCR":
        if not docr_registry:
            raise DockyardError(
                f"{where}: registry_type DOCR names a repository in your DigitalOcean "
                "registry, and Dockyard does not know which registry that is",
                code="image.docr_unconfigured",
                hint="Set docr_registry in DOCKYARD_HOME/config.json, e.g. "
                     '"registry.digitalocean.com/my-team", or give the registry\'s host in '
                     "`registry`.")
        host, _, prefix = docr_registry.strip("/").partition("/")
    else:
        host = HOSTS.get(kind, "docker.io")
        prefix = registry or ("library" if host == "docker.io" and "/" not in repository
                              else "")
    path = "/".join(p for p in (prefix, repository) if p)
    check_parts(where, path, str(tag) if tag else None, str(digest) if digest else None)
    return ImageRef(host, path, None if digest else str(tag or "latest"),
                    str(digest) if digest else None)


def check_parts(where: str, path: str, tag: str | None, digest: str | None) -> None:
    if not NAME.match(path):
        raise DockyardError(f"{where}.repository: {path!r} is not a valid repository name "
                            "(lowercase letters, digits, separators . _ - and /)",
                            code="image.reference_invalid")
    if tag and not TAG.match(tag):
        raise DockyardError(f"{where}.tag: {tag!r} is not a valid tag",
                            code="image.reference_invalid")
    if digest and not DIGEST.match(digest):
        raise DockyardError(f"{where}.digest: {digest!r} is not a sha256 digest "
                            "(sha256: and 64 hex digits)", code="image.reference_invalid")


def auth_json(host: str, credentials: str) -> bytes:
    """containers-auth.json for one registry, from DigitalOcean's ``username:token``."""
    if ":" not in credentials:
        raise DockyardError("image.registry_credentials must be \"username:access_token\"",
                            code="image.credentials_invalid")
    token = base64.b64encode(credentials.encode()).decode()
    return json.dumps({"auths": {host: {"auth": token}}}).encode()


def registries_conf(hosts: Iterable[str], mirrors: Mapping[str, str] | None = None) -> str:
    """registries.conf for a build: short names resolve on Docker Hub (``FROM python:3.12``
    as Docker does), loopback registries over plain HTTP, and each mirrored registry
    (``settings.registry_mirrors``: host -> location) pulled from its location instead."""
    lines = ['unqualified-search-registries = ["docker.io"]', 'short-name-mode = "permissive"']
    mirrors = dict(mirrors or {})
    for host in sorted({h for h in hosts if is_loopback(h)} - set(mirrors)):
        lines += ["", "[[registry]]", f'location = "{host}"', "insecure = true"]
    for host, location in sorted(mirrors.items()):
        lines += ["", "[[registry]]", f"prefix = {json.dumps(host)}",
                  f"location = {json.dumps(location.rstrip('/'))}"]
        if is_loopback(location.split("/", 1)[0]):
            lines.append("insecure = true")
    return "\n".join(lines) + "\n"


def mirrored(host: str, mirrors: Mapping[str, str]) -> str:
    """Where images of ``host`` are really pulled from (for messages and plain HTTP)."""
    return mirrors.get(host, host).split("/", 1)[0]


def from_hosts(dockerfile: str, args: Mapping[str, str]) -> set[str]:
    """Registry hosts a Dockerfile's FROM lines name (``ARG`` defaults and build args
    substituted), so a build can reach a loopback one over plain HTTP."""
    values = dict(args)
    hosts = set()
    for line in dockerfile.splitlines():
        words = line.strip().split()
        if len(words) >= 2 and words[0].upper() == "ARG" and "=" in words[1]:
            key, _, default = words[1].partition("=")
            values.setdefault(key, default.strip("\"'"))
        elif words and words[0].upper() == "FROM":
            image = next((w for w in words[1:] if not w.startswith("--")), "")
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ""), image)
            first = image.split("/", 1)[0]
            if "/" in image and is_host(first):
                hosts.add(first)
    return hosts
