"""The environment a build and an instance get (reference §5).

App-level envs, overridden by component-level ones with the same key, filtered by scope;
SECRET values decrypted and bindable variables resolved; then what the platform adds:
``PORT`` (the instance's own port), the release's virtualenv on ``PATH``, and a private
``HOME`` per instance. Build environments live only in the child's memory; an instance's
launch file holds the spec's values encrypted (they may carry database passwords).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dockyard.proc import base_env
from dockyard.release.bindings import Bindings, resolve

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Reveal = Callable[[str], str]


def spec_env(spec: Any, comp: Any, *, build: bool, bindings: Bindings | None = None,
             reveal: Reveal | None = None) -> dict[str, str]:
    """The spec's variables for ``comp`` at build or run time: plaintext, bindables resolved."""
    from dockyard.appspec import merged_envs

    bindings = bindings or Bindings()
    out = {}
    for var in merged_envs(spec, comp, build=build):
        value = var.value or ""
        if reveal and str(getattr(var.type, "value", var.type)) == "SECRET":
            value = reveal(value)
        out[var.key] = resolve(value, bindings, comp.name, build=build)
    return out


def build_env(spec: Any, comp: Any, bindings: Bindings | None = None,
              reveal: Reveal | None = None) -> dict[str, str]:
    return spec_env(spec, comp, build=True, bindings=bindings, reveal=reveal)


def run_env(spec: Any, comp: Any, *, bindings: Bindings, port: int | None,
            venv: str | None, home: Path, reveal: Reveal | None = None,
            release_env: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """One instance's whole environment, and the keys that came from the spec.

    ``release_env`` is what the buildpack asked for (``BuildResult.run_env``): its
    ``PATH_PREPEND`` goes in front of PATH, its other keys are defaults the spec overrides
    (``NODE_ENV=production``). The caller encrypts the spec keys' values before writing the
    launch file.
    """
    env = base_env()
    env.pop("UV_CACHE_DIR", None)
    defaults = dict(release_env or {})
    path = SYSTEM_PATH
    prepend = defaults.pop("PATH_PREPEND", "")
    if prepend:
        path = f"{prepend}:{path}"
    if venv:
        env["VIRTUAL_ENV"] = venv
        path = f"{venv}/bin:{path}"
    env.update(defaults)
    env.update({"PATH": path, "HOME": str(home), "PYTHONUNBUFFERED": "1",
                "LANG": env.get("LANG", "C.UTF-8")})
    if port is not None:
        # gunicorn reads this; bind to loopback only (the router is the way in).
        env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port} --access-logfile -"
    user = spec_env(spec, comp, build=False, bindings=bindings, reveal=reveal)
    env.update(user)
    if port is not None:
        env["PORT"] = str(port)  # each instance has its own port, whatever the spec says
    return env, sorted(user)
