"""``dockyard up``, ``down``, ``status``."""

from __future__ import annotations

import json
import sys
from typing import Any

from dockyard.paths import Home


def up(output: str, options: dict[str, Any] | None = None) -> None:
    from dockyard import control

    changes = {k: v for k, v in (options or {}).items() if v not in (None, ())}
    if "acme_eab_hmac_key_file" in changes:
        changes["acme_eab_hmac_key"] = changes.pop("acme_eab_hmac_key_file").read().strip()
    state = control.up(Home.default(), changes)
    if output == "json":
        print(json.dumps(state, indent=2))
        return
    print(f"-----> Dockyard is up: API {state['api_url']}")
    print(f"       CA certificate: {state['ca_cert']}")
    print(f"       Router (<app>.localhost): http://127.0.0.1:{state['router_port']}")
    if state.get("runtime") == "kubernetes":
        print("       Runtime: kubernetes (apps run on the cluster of the kubeconfig)")
    public = state.get("public")
    if public:
        print(f"-----> Public mode: apps at https://<app>.{public['domain']}, API at "
              f"{public['api_url']}")
        print(f"       HTTP :{public['http_port']} (redirects to HTTPS), HTTPS "
              f":{public['https_port']}, certificates from {public['acme_directory']}")


def down() -> None:
    from dockyard import control

    result = control.down(Home.default())
    print("-----> Dockyard stopped" if result["stopped"] else "-----> Dockyard was not running")


def status(output: str) -> None:
    from dockyard import control

    state = control.status(Home.default())
    if output == "json":
        print(json.dumps(state, indent=2))
        return
    print(f"API:    {state['api_url'] or '-'}")
    print(f"CA:     {state['ca_cert']}")
    for part, running in state["running"].items():
        print(f"{part + ':':<12}{'running' if running else 'stopped'}")
    if state.get("leftovers"):
        print(f" !     supervisord is gone but {len(state['leftovers'])} of its processes still "
              "run (pids " + ", ".join(map(str, state["leftovers"][:10])) + "); "
              "`dockyard up` stops them and starts afresh", file=sys.stderr)
    iso = state["isolation"]
    print(f"{'isolation:':<12}{'on' if iso['sandbox'] else 'OFF'} ({iso['sandbox_detail']})")
    print(f"{'limits:':<12}{'on' if iso['limits'] else 'OFF'} ({iso['limits_detail']})")
    service = state["service"]
    print(f"{'service:':<12}{'installed' if service['installed'] else 'not installed'}"
          f"{' and enabled' if service['enabled'] else ''} ({service['unit']})")
    public = state.get("public")
    if public:
        print(f"public:     https://<app>.{public['domain']}, API {public['api_url']}")
        for d in public["domains"]:
            extra = d["reason"] or (f"until {d['expires_at'][:10]}" if d["expires_at"] else "")
            print(f"  {d['domain']:<40}{d['kind']:<9}{d['phase']:<12}{extra}")
