"""``dockyard up``, ``down`` and ``status``: the control plane's lifecycle.

``up`` is idempotent: it creates what is missing (settings, CA, admin token), starts
supervisord when it is not running (which starts the API server, HAProxy and nginx), and
returns once the API answers. ``down`` stops everything supervisord started, by pid.
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dockyard.entrypoints import API_SERVER, INGRESS, argv
from dockyard.errors import DockyardError
from dockyard.isolation import Isolation, cgroups
from dockyard.paths import Home
from dockyard.router.files import MAX_SOCKET_PATH, SOCKETS, socket_too_long
from dockyard.runtime.local import leftovers
from dockyard.runtime.local.supervisor import ProgramSpec, Supervisor, wait_until
from dockyard.settings import (
    Settings,
    choose_runtime,
    ensure_settings,
    load_settings,
    save_settings,
)

API_PROGRAM = "dockyard-api"
INGRESS_PROGRAM = "dockyard-ingress"


def control_programs(home: Home, settings: Settings) -> list[ProgramSpec]:
    """The control plane: the API server, the router's processes, and in public mode the
    ingress program (certificates)."""
    env = {"DOCKYARD_HOME": str(home.root), "PYTHONUNBUFFERED": "1"}
    programs = [ProgramSpec(API_PROGRAM, argv(API_SERVER),
                            env=env, log=str(home.root / "logs" / "api.log"), stopwaitsecs=15)]
    programs += router_programs(home, settings)
    if settings.public:
        programs.append(ProgramSpec(INGRESS_PROGRAM, argv(INGRESS), env=env,
                                    log=str(home.root / "logs" / "ingress.log"),
                                    stopwaitsecs=10))
    return programs


def router_programs(home: Home, settings: Settings) -> list[ProgramSpec]:
    from dockyard.router import HAProxyRouter

    router = HAProxyRouter.from_settings(home, settings)
    router.refresh()  # settings may have changed (public mode on or off, ports)
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


def up(home: Home, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start Dockyard; ``changes`` (from ``dockyard up --public …``) are checked, then saved
    to config.json before anything starts, so a bad option changes nothing."""
    from dockyard.api.tls import ensure_tls
    from dockyard.secrets import ensure_admin_token

    check_socket_paths(home)
    home.ensure()
    (home.root / "logs").mkdir(exist_ok=True)
    settings = ensure_settings(home)
    if changes:
        settings = apply_options(home, settings, changes)
        save_settings(home, settings)
    ensure_tls(home.tls)
    ensure_admin_token(home)
    sup = Supervisor(home)
    sup.write_config(control_programs(home, settings))
    for name in sup.quarantine_bad_programs():
        print(f"-----> Moved aside {name!r}: supervisord cannot read it "
              f"(kept in {home.supervisor / 'quarantine'})", file=sys.stderr)
    if sup.running():
        sup.update()
    else:
        stopped = leftovers.stop(home)  # a killed supervisord's programs, still running
        if stopped:
            print(f"-----> Stopped {len(stopped)} process(es) an earlier supervisord left "
                  f"running (pids {', '.join(map(str, stopped[:10]))}…); starting afresh",
                  file=sys.stderr)
        sup.start(supervisor_env(home))
    try:
        wait_until(lambda: api_alive(settings, home), 30, f"the API at {settings.api_url}",
                   interval=0.1)
    except DockyardError as exc:
        exc.hint = "API server log (last lines):\n" + tail(home.root / "logs" / "api.log")
        raise
    return status(home)


def check_socket_paths(home: Home) -> None:
    """supervisord and HAProxy listen on unix sockets under the home, whose paths have a
    hard limit: a home too deep is refused before anything starts, naming the limit."""
    sockets = {home.supervisor.absolute() / "supervisor.sock": MAX_SOCKET_PATH,
               **{home.router.absolute() / name: limit for name, limit in SOCKETS.items()}}
    over = socket_too_long(sockets)
    if over:
        path, limit = over
        raise DockyardError(
            f"DOCKYARD_HOME {home.root} is too deep: the unix socket {path} would be "
            f"{len(str(path))} characters long, and this one takes at most {limit}",
            code="settings.home_too_long",
            hint=f"Use a home path at least {len(str(path)) - limit} characters shorter "
                 "(the default ~/.dockyard is fine).")


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
    """Stop supervisord and everything it runs; also what a killed one left running."""
    sup = Supervisor(home)
    was = sup.pid()
    sup.shutdown()
    left = leftovers.stop(home)
    jobs = stop_job_workers(home)
    groups = cgroups.sweep(cgroups.installation_id(home.root))
    return {"stopped": was is not None or bool(left), "supervisord_pid": was,
            "leftovers_stopped": left, "jobs_stopped": jobs, "cgroups_removed": groups}


def stop_job_workers(home: Home) -> int:
    """SIGTERM the workers of running scheduled jobs (they run outside supervisord, so that
    an API server restart does not stop them); each stops its job and records it."""
    import os
    import signal

    from dockyard.locks import job_lock_held
    from dockyard.store import Store

    if not home.db.exists():
        return 0
    store = Store(home.db)
    stopped = 0
    try:
        for inv in store.open_invocations():
            if inv.pid and job_lock_held(home, inv.id):
                try:
                    os.kill(inv.pid, signal.SIGTERM)
                    stopped += 1
                except ProcessLookupError:
                    continue
    finally:
        store.close()
    return stopped


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
    for name in ("haproxy", "nginx", "postgres") + (("ingress",) if settings.public else ()):
        parts[name] = any(p["state"] == "RUNNING" for n, p in processes.items()
                          if n in (name, f"dockyard-{name}"))
    from dockyard.service import service_status

    return {
        "home": str(home.root),
        "api_url": settings.api_url if settings.api_port else None,
        "ca_cert": str(home.tls / "ca.pem"),
        "router_port": settings.router_port or None,
        "runtime": settings.runtime,
        "isolation": Isolation.detect(settings.isolation).describe(),
        "running": parts,
        "leftovers": [] if running else leftovers.find(home),
        "supervisord_pid": sup.pid(),
        "processes": processes,
        "public": public_status(home, settings),
        "service": service_status(),
    }


# -- public mode ------------------------------------------------------------------------------
OPTION_TYPES: dict[str, type] = {
    "public": bool, "domain": str, "email": str, "http_port": int, "https_port": int,
    "bind": list, "api_domain": str, "api_allow": list, "acme_directory": str,
    "acme_ca_bundle": str, "acme_eab_kid": str, "dns01_hook": str}


def apply_options(home: Home, settings: Settings, changes: dict[str, Any]) -> Settings:
    """``settings`` with ``dockyard up``'s options applied and checked (nothing is saved
    when one is wrong: the error names the option and what was expected)."""
    import dataclasses

    changes = dict(changes)
    hmac_key = changes.pop("acme_eab_hmac_key", None)
    runtime = {k: changes.pop(k, None) for k in ("runtime", "kubeconfig", "image_registry",
                                                 "insecure_registry")}
    unknown = sorted(set(changes) - set(OPTION_TYPES))
    if unknown:
        raise DockyardError(f"unknown setting(s): {', '.join(unknown)}", code="settings.unknown")
    given = {k: v for k, v in changes.items() if v not in (None, (), [])}
    for name in ("acme_ca_bundle", "dns01_hook"):
        if given.get(name):
            given[name] = str(Path(given[name]).expanduser().absolute())
    new = dataclasses.replace(settings, **{k: list(v) if OPTION_TYPES[k] is list else v
                                           for k, v in given.items()})
    check_public_settings(home, new, hmac_given=bool(hmac_key))
    if any(v is not None for v in runtime.values()):
        choose_runtime(new, runtime["runtime"], runtime["kubeconfig"], runtime["image_registry"],
                       runtime["insecure_registry"])
        check_runtime(new)
    if hmac_key:
        from dockyard.files import write_private
        from dockyard.ingress.program import eab_path
        from dockyard.release.secrets import SecretBox

        box = SecretBox(home.secrets_key)
        write_private(eab_path(home), (box.encrypt(hmac_key) + "\n").encode())
    return new


def _setting_error(option: str, message: str) -> DockyardError:
    return DockyardError(f"dockyard up {option}: {message}", code="settings.invalid",
                         hint="Nothing was changed; fix the option and run `dockyard up` "
                              "again.")


def check_public_settings(home: Home, s: Settings, hmac_given: bool = False) -> None:
    if not s.public:
        return
    if not s.domain:
        raise _setting_error("--public", "public mode needs a domain for the apps, e.g. "
                             "--domain apps.example.com (each app is https://<app>.<domain>)")
    from dockyard.router import HAProxyRouter

    HAProxyRouter.from_settings(home, s)  # checks domain, ports, bind addresses, networks
    if s.http_port == s.https_port:
        raise _setting_error("--https-port", f"{s.https_port} is also the HTTP port")
    if s.email and "@" not in s.email:
        raise _setting_error("--email", f"{s.email!r} is not an e-mail address")
    if not s.acme_directory.startswith("https://"):
        raise _setting_error("--acme-directory", f"{s.acme_directory!r} is not an https:// URL")
    if s.acme_ca_bundle and not Path(s.acme_ca_bundle).is_file():
        raise _setting_error("--acme-ca-bundle", f"{s.acme_ca_bundle} is not a file")
    if s.dns01_hook and not os.access(s.dns01_hook, os.X_OK):
        raise _setting_error("--dns01-hook", f"{s.dns01_hook} is not an executable file")
    from dockyard.ingress.program import eab_path

    if s.acme_eab_kid and not (hmac_given or eab_path(home).exists()):
        raise _setting_error("--acme-eab-kid", "needs --acme-eab-hmac-key too")


def public_status(home: Home, settings: Settings) -> dict[str, Any] | None:
    """Public mode at a glance: where it listens, and each certificate's phase."""
    if not settings.public:
        return None
    from dockyard.ingress.state import load_states

    domains = [{"domain": s.key, "kind": s.kind, "phase": s.phase, "reason": s.reason,
                "expires_at": s.expires_at} for s in load_states(home.ingress).values()]
    return {"domain": settings.domain, "http_port": settings.http_port,
            "https_port": settings.https_port, "bind": settings.bind,
            "api_url": settings.public_api_url, "acme_directory": settings.acme_directory,
            "domains": domains}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


if __name__ == "__main__":  # `recover`, started by the API server when supervisord died
    import time as _time

    _time.sleep(0.5)  # let the other orphans notice too; one recovery is enough
    up(Home.default())
