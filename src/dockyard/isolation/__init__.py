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
    def detect(cls, setting: str = "auto") -> Isolation:
        """What this machine allows (``setting``: "auto", or "off" to run apps as root)."""
        if setting == "off":
            off = "isolation is off in config.json"
            return cls(False, False, off, off)
        missing = [t for t in TOOLS if not shutil.which(t, path=SBIN)]
        if os.geteuid() != 0:
            sandbox, why = False, "Dockyard does not run as root: apps run as its user"
        elif missing:
            sandbox, why = False, f"missing {', '.join(missing)} (install bubblewrap)"
        else:
            sandbox, why = True, "each app as its own user in a bubblewrap sandbox"
        limits, limits_why = cgroups.available()
        return cls(sandbox, limits and os.geteuid() == 0, why, limits_why)

    def describe(self) -> dict[str, object]:
        return {"sandbox": self.sandbox, "sandbox_detail": self.sandbox_reason,
                "limits": self.limits, "limits_detail": self.limits_reason}
