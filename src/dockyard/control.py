"""``dockyard up``, ``down`` and ``status``: the control plane's lifecycle.

``up`` is idempotent: it creates what is missing (settings, CA, admin token), starts
supervisord when it is not running (which starts the API server, HAProxy and nginx), and
returns once the API answers. ``down`` stops everything supervisord started, by pid.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from dockyard.entrypoints import API_SERVER, argv
from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.runtime.local.supervisor import ProgramSpec, Supervisor, wait_until
from dockyard.settings import (
    Settings,
    choose_runtime,
    ensure_settings,
    load_settings,
    save_settings,
)

API_PROGRAM = "dockyard-api"


def control_programs(home: Home, settings: Settings) -> list[ProgramSpec]:
    """The control plane: the API server, and the router's processes."""
    env = {"DOCKYARD_HOME": str(home.root), "PYTHONUNBUFFERED": "1"}
    programs = [ProgramSpec(API_PROGRAM, argv(API_SERVER),
                            env=env, log=str(home.root / "logs" / "api.log"), stopwaitsecs=15)]
    programs += router_programs(home, settings)
    return programs


def router_programs(home: Home, settings: Settings) -> list[ProgramSpec]:
    try:
        from dockyard.router import HAProxyRouter
    except ImportError:  # router not installed in this build
        return []
    router = HAProxyRouter(home.router, shared_port=settings.router_port)
    return [ProgramSpec(p.name, p.argv, cwd=p.cwd, stopwaitsecs=30) for p in router.programs()]


def api_alive(settings: Settings, home: Home, timeout: float = 2) -> bool:
    ctx = ssl.create_default_context(cafile=str(home.tls / "ca.pem"))
    try:
        with urllib.request.urlopen(settings.api_url + "/healthz", context=ctx,
                                    timeout=timeout) as resp:
            return resp.status == 200
    except (OSError, urllib.error.URLError, ssl.SSLError):
        return False


def supervisor_env(home: Home) -> dict[str, str]:
    import os

    from dockyard.proc import base_env

    own = {k: v for k, v in os.environ.items() if k.startswith("DOCKYARD_")}
    return {**base_env(), **own, "DOCKYARD_HOME": str(home.root)}


def up(home: Home, runtime: str | None = None, kubeconfig: str | None = None,
       image_registry: str | None = None) -> dict[str, Any]:
    from dockyard.api.tls import ensure_tls
    from dockyard.secrets import ensure_admin_token

    home.ensure()
    (home.root / "logs").mkdir(exist_ok=True)
    settings = ensure_settings(home)
    if (runtime, kubeconfig, image_registry) != (None, None, None):
        choose_runtime(settings, runtime, kubeconfig, image_registry)
        check_runtime(settings)
        save_settings(home, settings)
    ensure_tls(home.tls)
    ensure_admin_token(home)
    sup = Supervisor(home)
    sup.write_config(control_programs(home, settings))
    if sup.running():
        sup.update()
    else:
        sup.start(supervisor_env(home))
    try:
        wait_until(lambda: api_alive(settings, home), 30, f"the API at {settings.api_url}",
                   interval=0.1)
    except DockyardError as exc:
        exc.hint = "API server log (last lines):\n" + tail(home.root / "logs" / "api.log")
        raise
    return status(home)


def check_runtime(settings: Settings) -> None:
    """The kubeconfig must load (offline: no call to the cluster here)."""
    if settings.runtime == "kubernetes":
        from dockyard.runtime.kubernetes.client import Cluster

        Cluster.from_kubeconfig(settings.kubeconfig)


def tail(path, lines: int = 20) -> str:  # type: ignore[no-untyped-def]
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def down(home: Home) -> dict[str, Any]:
    sup = Supervisor(home)
    was = sup.pid()
    sup.shutdown()
    return {"stopped": was is not None, "supervisord_pid": was}


def status(home: Home) -> dict[str, Any]:
    settings = load_settings(home)
    sup = Supervisor(home)
    processes: dict[str, Any] = {}
    running = sup.running()
    if running:
        for info in sup.all_process_info():
            processes[info["name"]] = {"state": info["statename"], "pid": info["pid"]}
    parts = {"supervisord": running,
             "api": running and bool(settings.api_port) and api_alive(settings, home)}
    for name in ("haproxy", "nginx", "postgres"):
        parts[name] = any(p["state"] == "RUNNING" for n, p in processes.items()
                          if n in (name, f"dockyard-{name}"))
    return {
        "home": str(home.root),
        "api_url": settings.api_url if settings.api_port else None,
        "ca_cert": str(home.tls / "ca.pem"),
        "router_port": settings.router_port or None,
        "runtime": settings.runtime,
        "running": parts,
        "supervisord_pid": sup.pid(),
        "processes": processes,
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)
