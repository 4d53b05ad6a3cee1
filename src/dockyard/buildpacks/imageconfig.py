"""What an instance of an image runs, read from the image's config once it is built or
pulled: ENTRYPOINT + CMD, WORKDIR, ENV (with ``HOME`` as Docker sets it), USER, EXPOSE, and
the shell a ``run_command`` goes through (bash, else sh, as DigitalOcean runs it)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from dockyard.buildpacks.rootfs import resolve_in


def image_config(inspect: dict[str, Any], rootfs: Path | None) -> dict[str, Any]:
    """Plain data stored with the release (``BuildResult.image``, ``ComponentRecord.image``)."""
    config = (inspect.get("OCIv1") or {}).get("config") or {}
    env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
    user = str(config.get("User") or "")
    if rootfs is not None and "HOME" not in env:
        env["HOME"] = home_of(rootfs, user)
    return {
        "entrypoint": list(config.get("Entrypoint") or []),
        "cmd": list(config.get("Cmd") or []),
        "workdir": str(config.get("WorkingDir") or "/"),
        "env": env,
        "user": user,
        "ports": sorted(config.get("ExposedPorts") or {}),
        "shell": shell_of(rootfs) if rootfs is not None else None,
    }


def argv_of(config: dict[str, Any]) -> list[str]:
    """What the image runs when nothing overrides it: ENTRYPOINT + CMD."""
    return [*config.get("entrypoint", []), *config.get("cmd", [])]


def describe(config: dict[str, Any]) -> str:
    """One line for the build log: what runs, where, and what the image declares."""
    parts = [f"runs {shlex.join(argv_of(config)) or '(nothing: no ENTRYPOINT or CMD)'}",
             f"WORKDIR {config['workdir']}"]
    if config["ports"]:
        parts.append(f"EXPOSE {' '.join(config['ports'])}")
    if config["user"]:
        parts.append(f"USER {config['user']}")
    return ", ".join(parts)


def shell_of(rootfs: Path) -> str | None:
    for shell in ("/bin/bash", "/bin/sh"):
        found = resolve_in(rootfs, shell)
        if found is not None and found.is_file():
            return shell
    return None


def home_of(rootfs: Path, user: str) -> str:
    """``HOME`` as Docker sets it: the USER's home in the image's /etc/passwd, else /root for
    root (or no USER), else /."""
    name = user.split(":", 1)[0]
    if name in ("", "root", "0"):
        return "/root"
    passwd = resolve_in(rootfs, "/etc/passwd")
    try:
        lines = passwd.read_text(errors="replace").splitlines() if passwd else []
    except OSError:
        lines = []
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 6 and name in (fields[0], fields[2]):
            return fields[5] or "/"
    return "/"
