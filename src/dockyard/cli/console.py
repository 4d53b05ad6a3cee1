"""``dockyard apps console APP COMPONENT [-- CMD …]``: a one-off command in the live release.

The server prepares a fresh writable copy of the component's active release with its
environment (secrets stay encrypted in the launch file); the command then runs here, on your
terminal, through the same launcher as an instance, and the copy is removed afterwards.
"""

from __future__ import annotations

import subprocess
import sys

from dockyard.cli.client import Client, app_path


def console(ref: str, component: str, command: list[str]) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    session = client.post(app_path(app_id, f"/components/{component}/console"),
                          {"command": command})["console"]
    try:
        code = subprocess.call([str(part) for part in session["command"]])
    finally:
        client.delete(app_path(app_id, f"/components/{component}/console/{session['id']}"))
    sys.exit(code)
