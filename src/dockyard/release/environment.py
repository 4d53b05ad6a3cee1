"""The environment a build and an instance get (reference §5).

App-level envs, overridden by component-level ones with the same key, filtered by scope;
bindable variables resolved; then what the platform adds: ``PORT`` (the instance's own port),
the release's virtualenv on ``PATH``, and a private ``HOME`` per instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dockyard.proc import base_env
from dockyard.release.bindings import Bindings, resolve

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def spec_env(spec: Any, comp: Any, *, build: bool, bindings: Bindings | None = None
             ) -> dict[str, str]:
    """The spec's variables for ``comp`` at build or run time, with bindables resolved."""
    from dockyard.spec import merged_envs

    bindings = bindings or Bindings()
    return {var.key: resolve(var.value or "", bindings, comp.name, build=build)
            for var in merged_envs(spec, comp, build=build)}


def build_env(spec: Any, comp: Any, bindings: Bindings | None = None) -> dict[str, str]:
    return spec_env(spec, comp, build=True, bindings=bindings)


def secret_values(spec: Any) -> list[str]:
    """Plain values of SECRET variables anywhere in the spec (to mask in every log)."""
    values = []
    for var in list(spec.envs) + [v for _, c in spec.components() for v in getattr(c, "envs", [])]:
        if str(getattr(var.type, "value", var.type)) == "SECRET" and var.value:
            values.append(var.value)
    return values


def run_env(spec: Any, comp: Any, *, bindings: Bindings, port: int | None,
            venv: str | None, home: Path) -> dict[str, str]:
    """The full environment of one instance (a process's whole environment, nothing else)."""
    env = base_env()
    env.pop("UV_CACHE_DIR", None)
    path = SYSTEM_PATH
    if venv:
        env["VIRTUAL_ENV"] = venv
        path = f"{venv}/bin:{path}"
    env.update({"PATH": path, "HOME": str(home), "PYTHONUNBUFFERED": "1",
                "LANG": env.get("LANG", "C.UTF-8")})
    user = spec_env(spec, comp, build=False, bindings=bindings)
    if port is not None:
        env["PORT"] = str(port)
        # gunicorn reads this; bind to loopback only (the router is the way in).
        env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port} --access-logfile -"
    env.update(user)
    if port is not None:
        env["PORT"] = str(port)  # each instance has its own port, whatever the spec says
    return env
