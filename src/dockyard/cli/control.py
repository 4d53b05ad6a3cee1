"""``dockyard up``, ``down``, ``status``."""

from __future__ import annotations

import json

from dockyard.paths import Home


def up(output: str) -> None:
    from dockyard import control

    state = control.up(Home.default())
    if output == "json":
        print(json.dumps(state, indent=2))
        return
    print(f"-----> Dockyard is up: API {state['api_url']}")
    print(f"       CA certificate: {state['ca_cert']}")
    print(f"       Router (<app>.localhost): http://127.0.0.1:{state['router_port']}")


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
