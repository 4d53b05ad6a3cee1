"""``dockyard up``, ``down``, ``status``."""

from __future__ import annotations

import json

from dockyard.paths import Home


def up(output: str, runtime: str | None = None, kubeconfig: str | None = None,
       image_registry: str | None = None) -> None:
    from dockyard import control

    state = control.up(Home.default(), runtime=runtime, kubeconfig=kubeconfig,
                       image_registry=image_registry)
    if output == "json":
        print(json.dumps(state, indent=2))
        return
    print(f"-----> Dockyard is up: API {state['api_url']}")
    print(f"       CA certificate: {state['ca_cert']}")
    print(f"       Router (<app>.localhost): http://127.0.0.1:{state['router_port']}")
    if state.get("runtime") == "kubernetes":
        print("       Runtime: kubernetes (apps run on the cluster of the kubeconfig)")


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
