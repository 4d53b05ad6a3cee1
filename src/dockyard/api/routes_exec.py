"""The exec console: ``get_exec`` / ``get_exec_active_deployment`` hand out a websocket URL.

The URL (``wss://…/exec?token=…``) carries a signed token naming the app, deployment,
component and instance; it expires after ``TTL_SECONDS`` and works once. The websocket runs
the command (default: a login shell) with a pty, in a fresh sandbox of the component's release
with its environment, through the runtime's console launcher. The protocol is doctl's: the
client sends ``{"op": "stdin", "data": …}`` and ``{"op": "resize", "width", "height"}``; the
server sends ``{"data": …}``, and last ``{"data": "", "exit_code": N}`` before it closes.
The client may add ``&command=<JSON list>`` to run one command instead of a shell.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import json
import os
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from dockyard.api.bodies import route
from dockyard.api.routes_apps import platform, public_base, the_app
from dockyard.api.signing import sign_token, signing_key, verify_token
from dockyard.errors import DockyardError, NotFound

TTL_SECONDS = 60
POLICY_VIOLATION = 1008
USED: dict[str, float] = {}          # nonces of tokens already used, until they expire


def get_exec(request: Request) -> Response:
    """``{"url": "wss://…/exec?token=…"}`` for the component (of the deployment in the path,
    else of the live one); 404 for an unknown component, deployment or instance."""
    app = the_app(request)
    plat = platform(request)
    component = request.path_params["component"]
    dep_id = request.path_params.get("dep_id")
    if dep_id:
        dep = plat.store.get_deployment(app.id, dep_id)
    else:
        live = plat.store.list_deployments(app.id, phases=("ACTIVE",))
        if not live:
            raise NotFound(f"app {app.name} has no live deployment to open a console in")
        dep = live[0]
    runnable = {c["name"]: c for c in dep.components if c.get("kind") != "static_site"}
    if component not in runnable:
        raise NotFound(f"component {component!r} not found in deployment {dep.id}; "
                       f"consoles open in: {', '.join(sorted(runnable)) or 'none'}")
    instance = request.query_params.get("instance_name") or ""
    aliases = {f"{component}-{i['index']}": i.get("program") for i in
               runnable[component].get("instances", [])}
    if instance and instance not in aliases and instance not in aliases.values():
        raise NotFound(f"instance {instance!r} is not an instance of {component!r}; its "
                       f"instances: {', '.join(sorted(aliases)) or 'none'}")
    token = sign_token(signing_key(plat.home), {"app": app.id, "dep": dep.id,
                                                "component": component,
                                                "instance": instance}, TTL_SECONDS)
    base = public_base(request).replace("https://", "wss://", 1)
    return JSONResponse({"url": f"{base}/exec?token={token}"})


def claims_of(websocket: WebSocket) -> dict[str, Any] | None:
    """The token's claims, once: an expired, forged or reused token gives None."""
    plat = websocket.app.state.platform
    claims = verify_token(signing_key(plat.home), websocket.query_params.get("token", ""))
    now = time.time()
    for nonce in [n for n, exp in USED.items() if exp < now]:
        del USED[nonce]
    if claims is None or str(claims["nonce"]) in USED:
        return None
    USED[str(claims["nonce"])] = float(str(claims["exp"]))
    return claims


def requested_command(websocket: WebSocket) -> list[str]:
    raw = websocket.query_params.get("command")
    if not raw:
        return []
    try:
        command = json.loads(raw)
    except ValueError:
        command = None
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        raise DockyardError('command: expected a JSON list of strings, e.g. ["ls", "-l"]',
                            code="bad_request")
    return command


async def exec_socket(websocket: WebSocket) -> None:
    claims = claims_of(websocket)
    if claims is None:
        await websocket.close(code=POLICY_VIOLATION)  # before accept: HTTP 403
        return
    from dockyard.offload import call

    try:
        session = await run_in_threadpool(
            call, "console.prepare", app_id=claims["app"], component=claims["component"],
            command=requested_command(websocket), deployment_id=claims["dep"],
            instance=claims["instance"] or None)
    except DockyardError as exc:
        await websocket.accept()
        await websocket.send_json({"data": f"dockyard: {exc.message}\r\n", "exit_code": 1})
        await websocket.close()
        return
    await websocket.accept()

    def cleanup() -> None:
        end_session(websocket, claims, str(session["id"]))

    try:
        await Console(websocket, [str(a) for a in session["command"]], cleanup).run()
    finally:
        await run_in_threadpool(cleanup)


def end_session(websocket: WebSocket, claims: dict[str, Any], session: str) -> None:
    from dockyard.deploy import console

    plat = websocket.app.state.platform
    with contextlib.suppress(DockyardError, OSError):
        console.remove(plat.services, plat.store.get_app(str(claims["app"])),
                       str(claims["component"]), session)


class Console:
    """One process on a pty, bridged to a websocket."""

    def __init__(self, websocket: WebSocket, argv: list[str],
                 cleanup: Callable[[], None] = lambda: None) -> None:
        self.websocket = websocket
        self.argv = argv
        self.cleanup = cleanup          # runs before the exit status is sent
        self.output: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def run(self) -> None:
        master, slave = os.openpty()
        proc = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True, preexec_fn=take_terminal, close_fds=True)
        os.close(slave)
        loop = asyncio.get_running_loop()
        loop.add_reader(master, self.readable, master)
        receiver = asyncio.create_task(self.receive_input(master))
        sender = asyncio.create_task(self.send_output(proc))
        try:
            done, _ = await asyncio.wait({receiver, sender},
                                         return_when=asyncio.FIRST_COMPLETED)
            if sender not in done:  # the client left: hang up, let the output end
                stop(proc)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(sender, timeout=5)
        finally:
            receiver.cancel()
            loop.remove_reader(master)
            stop(proc)
            os.close(master)

    def readable(self, master: int) -> None:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every process on the terminal has ended
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(master)
        self.output.put_nowait(data or None)

    async def send_output(self, proc: subprocess.Popen[bytes]) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while (chunk := await self.output.get()) is not None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.websocket.send_json({"data": decoder.decode(chunk)})
        code = await run_in_threadpool(proc.wait)
        await run_in_threadpool(self.cleanup)  # the session's files are gone when it ends
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await self.websocket.send_json({"data": decoder.decode(b"", final=True),
                                            "exit_code": code})
            await self.websocket.close()

    async def receive_input(self, master: int) -> None:
        """Keystrokes and resizes until the client leaves."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, ValueError, OSError):
            await self.read_messages(master)

    async def read_messages(self, master: int) -> None:
        while True:
            message = json.loads(await self.websocket.receive_text())
            if not isinstance(message, dict):
                continue
            if message.get("op") == "stdin" and message.get("data"):
                os.write(master, str(message["data"]).encode())
            elif message.get("op") == "resize":
                size = struct.pack("HHHH", int(message.get("height") or 24),
                                   int(message.get("width") or 80), 0, 0)
                fcntl.ioctl(master, termios.TIOCSWINSZ, size)


def take_terminal() -> None:
    """In the child (a new session): make the pty its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Hang up the console's processes (its session), SIGKILL if they stay."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGHUP)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


routes = [
    route("/v2/apps/{app_id}/components/{component}/exec", get_exec, ["GET"]),
    route("/v2/apps/{app_id}/deployments/{dep_id}/components/{component}/exec", get_exec, ["GET"]),
    WebSocketRoute("/exec", exec_socket),
]
