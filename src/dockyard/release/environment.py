"""The environment a build and an instance get.

App-level envs, overridden by component-level ones with the same key, filtered by scope;
SECRET values decrypted and bindable variables resolved; then what the platform adds:
``PORT`` (the instance's own port) and what the build asks for (its virtualenv on ``PATH``);
the runtime adds a private ``HOME`` per instance. An image's instance starts from the image's
own ``ENV`` instead of the host's, and the spec's variables override it. Build environments
live only in the child's memory; an instance's launch file holds the spec's values encrypted
(they may carry database passwords).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.proc import base_env
from dockyard.release.bindings import Bindings, resolve
from dockyard.release.record import ComponentRecord

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
            build: ComponentRecord, reveal: Reveal | None = None
            ) -> tuple[dict[str, str], list[str]]:
    """One instance's environment (the runtime adds ``HOME`` and its own paths), and the
    keys that came from the spec: the caller seals those values before they leave memory.
    """
    if build.rootfs is not None:  # an image's root: its own ENV (PATH, HOME …), nothing of ours
        env = {"PATH": SYSTEM_PATH, **build.run_env}
    else:
        env = base_env()
        for key in ("UV_CACHE_DIR", "HOME", "USER", "LOGNAME", "TMPDIR"):
            env.pop(key, None)
        env.update(build.run_env)
        env.update({"PATH": ":".join([*build.run_path, SYSTEM_PATH]), "PYTHONUNBUFFERED": "1",
                    "LANG": env.get("LANG", "C.UTF-8")})
    if port is not None:
        # gunicorn reads this; bind to loopback only (the router is the way in).
        env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port} --access-logfile -"
    user = spec_env(spec, comp, build=False, bindings=bindings, reveal=reveal)
    env.update(user)
    if port is not None:
        env["PORT"] = str(port)  # each instance has its own port, whatever the spec says
    return env, sorted(user)
