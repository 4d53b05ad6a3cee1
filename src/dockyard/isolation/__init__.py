"""Isolation on one machine: a user per app, a sandbox (bubblewrap), cgroup limits, and an
instance's copy-on-write view of its release.

``Isolation.detect()`` decides once per process what this machine allows: the sandbox needs
root, ``bwrap``, ``setpriv`` and ``useradd``; limits need a writable cgroup hierarchy. When a
part is off, ``dockyard status`` and every deployment say why.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockyard.isolation import cgroups

TOOLS = ("bwrap", "setpriv", "useradd")
SBIN = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Isolation:
    sandbox: bool
    limits: bool
    sandbox_reason: str
    limits_reason: str

    @classmethod
    def detect(cls, setting: str = "auto", *, euid: int | None = None, path: str = SBIN,
               cgroup_root: Path = cgroups.ROOT) -> Isolation:
        """What this machine allows (``setting``: "auto", or "off" to run apps as root).
        ``euid``, ``path`` and ``cgroup_root`` stand for this process's, for tests."""
        if setting == "off":
            off = "isolation is off in config.json"
            return cls(False, False, off, off)
        root = (os.geteuid() if euid is None else euid) == 0
        missing = [t for t in TOOLS if not shutil.which(t, path=path)]
        if not root:
            sandbox, why = False, "Dockyard does not run as root: apps run as its user"
        elif missing:
            sandbox, why = False, f"missing {', '.join(missing)} (install bubblewrap)"
        else:
            sandbox, why = True, "each app as its own user in a bubblewrap sandbox"
        limits, limits_why = cgroups.available(cgroup_root)
        if limits and not root:
            limits, limits_why = False, "Dockyard does not run as root: instance limits are off"
        return cls(sandbox, limits, why, limits_why)

    def describe(self) -> dict[str, object]:
        return {"sandbox": self.sandbox, "sandbox_detail": self.sandbox_reason,
                "limits": self.limits, "limits_detail": self.limits_reason}


def describe_app(app_id: str, spec: dict[str, object], isolation: Isolation) -> dict[str, object]:
    """What each component of an app runs as and sees (``apps get -o json``, ``dockyard``
    object): the same facts the launcher and the build sandbox apply. ``limits`` stays the
    machine's yes/no; each component's own limits are in ``component_limits``."""
    from dockyard.isolation import users

    user = users.find(app_id)
    out: dict[str, object] = {**isolation.describe(),
                              "user": user.name if user else users.user_name(app_id),
                              "uid": user.uid if user else None,
                              "component_limits": component_limits(spec) if isolation.limits
                              else {}}
    if not isolation.sandbox:
        return out
    out["sees"] = {
        "/workspace": "the release, read-only, under a private writable layer (writes are "
                      "lost when the instance stops)",
        "/home/app": "a private HOME", "/tmp, /var/tmp, /dev/shm": "private, in memory",
        "/usr, /etc": "read-only", "/proc": "its own processes only",
        "network": "the host's (binds its port on 127.0.0.1, reaches PostgreSQL)",
        "build": "its checkout, its release and its own package cache; Dockyard's code and "
                 "the host's Python interpreters read-only"}
    out["cannot_see"] = ["DOCKYARD_HOME (state, keys, tokens, sockets, logs)", "other apps",
                         "/root and /home", "/sys", "processes outside its instance"]
    return out


def component_limits(spec: dict[str, object]) -> dict[str, dict[str, object]]:
    """Each service, worker and job's cgroup limits, from its ``instance_size_slug``."""
    from dockyard.appspec.sizes import BY_SLUG, DEFAULT_SLUG

    limits: dict[str, dict[str, object]] = {}
    for group in ("services", "workers", "jobs"):
        for comp in spec.get(group, []) or []:  # type: ignore[union-attr]
            slug = comp.get("instance_size_slug") or DEFAULT_SLUG
            if slug in BY_SLUG:
                limits[comp["name"]] = {"instance_size_slug": slug,
                                        **cgroups.Limits.for_size(BY_SLUG[slug]).__dict__}
    return limits
