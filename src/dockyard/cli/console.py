"""``dockyard apps console APP COMPONENT [INSTANCE] [-- CMD …]``: the exec console.

The CLI asks the API for the component's exec URL (``get_exec_active_deployment``, or
``get_exec`` with ``--deployment``), a signed, short-lived websocket URL, and speaks doctl's
protocol over it: keystrokes go as ``{"op": "stdin"}`` (the terminal in raw mode), window
sizes as ``{"op": "resize"}``, output comes back as ``{"data"}``. The command runs on the
server, in a sandbox of the release with the component's environment; the exit status is
the command's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import sys
import threading
import urllib.parse
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.errors import DockyardError

EOF_KEY = "\x04"


def exec_url(client: Client, app_id: str, component: str, deployment: str | None,
             instance: str | None) -> str:
    suffix = (f"/deployments/{deployment}" if deployment else "") + \
        f"/components/{component}/exec"
    return str(client.get(app_path(app_id, suffix), instance_name=instance)["url"])


def console(ref: str, component: str, command: list[str], *, instance: str | None = None,
            deployment: str | None = None) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    url = exec_url(client, app_id, component, deployment, instance)
    if command:
        url += "&" + urllib.parse.urlencode({"command": json.dumps(command)})
    sys.exit(session(url, client.ctx))


def session(url: str, ctx: ssl.SSLContext) -> int:
    """Bridge this terminal (or pipe) and the console; return the command's exit status."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    try:
        ws = connect(url, ssl=ctx, max_size=None, open_timeout=60)
    except InvalidStatus as exc:
        raise DockyardError(f"the console refused the connection (HTTP "
                            f"{exc.response.status_code}): its URL expired or was used",
                            code="console.refused", hint="Run the command again.") from exc
    with ws:
        tty = sys.stdin.isatty()
        saved = raw_mode() if tty else None
        try:
            if tty:
                send_size(ws)
                signal.signal(signal.SIGWINCH, lambda *_: send_size(ws))
            threading.Thread(target=pump_stdin, args=(ws, tty), daemon=True).start()
            return receive(ws)
        finally:
            if saved is not None:
                import termios

                termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


def receive(ws: Any) -> int:
    from websockets.exceptions import ConnectionClosed

    out = sys.stdout.buffer
    plain = not sys.stdout.isatty()  # a pipe or a file: the terminal's \r\n as \n
    code = 1
    with contextlib.suppress(ConnectionClosed):
        for raw in ws:
            message = json.loads(raw)
            data = str(message.get("data", ""))
            out.write((data.replace("\r\n", "\n") if plain else data).encode())
            out.flush()
            if "exit_code" in message:
                code = int(message["exit_code"])
    return code


def pump_stdin(ws: Any, tty: bool) -> None:
    """Send what is typed (or piped); at the end of a pipe, send ^D as a terminal would."""
    with contextlib.suppress(Exception):
        while data := os.read(sys.stdin.fileno(), 4096):
            ws.send(json.dumps({"op": "stdin", "data": data.decode(errors="replace")}))
        if not tty:
            ws.send(json.dumps({"op": "stdin", "data": EOF_KEY}))


def send_size(ws: Any) -> None:
    size = os.get_terminal_size(sys.stdout.fileno()) if sys.stdout.isatty() else \
        os.terminal_size((80, 24))
    with contextlib.suppress(Exception):
        ws.send(json.dumps({"op": "resize", "width": size.columns, "height": size.lines}))


def raw_mode() -> list[Any]:
    import termios
    import tty

    saved = termios.tcgetattr(sys.stdin.fileno())
    tty.setraw(sys.stdin.fileno())
    return saved
