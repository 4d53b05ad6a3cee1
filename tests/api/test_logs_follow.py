"""``logs --follow`` with several instances (issue 10, defect 8): every instance's lines, each
once, prefixed by instance; ``--tail N`` with ``--follow`` prints the newest N, then follows.

The instances' run logs are the files supervisord writes (``run-<component>-<n>.log`` in the
deployment's log folder); the test appends to them as running instances would.
"""

from __future__ import annotations

import http.client
import queue
import socket
import ssl
import threading
import urllib.parse
from pathlib import Path

import pytest

from tests.api.test_apps_api import minimal_spec, unique
from tests.conftest import Dockyard

pytestmark = pytest.mark.slow


@pytest.fixture
def three_instances(dockyard: Dockyard) -> tuple[dict, Path]:
    app = dockyard.request("POST", "/v2/apps", {"spec": minimal_spec(unique("logs"))}).body["app"]
    dep = dockyard.request("GET", f"/v2/apps/{app['id']}/deployments").body["deployments"][0]
    folder = dockyard.home / "apps" / app["id"] / "logs" / dep["id"]
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(3):
        (folder / f"run-site-{n}.log").write_text("".join(f"old {n}.{i}\n" for i in range(5)))
    return {"app": app["id"], "dep": dep["id"]}, folder


def append(folder: Path, instance: int, text: str) -> None:
    with open(folder / f"run-site-{instance}.log", "a") as fh:
        fh.write(text)


class Stream:
    """The lines of a live log URL, read in a thread (the stream never ends by itself)."""

    def __init__(self, dockyard: Dockyard, url: str) -> None:
        ctx = ssl.create_default_context(cafile=str(dockyard.home / "tls" / "ca.pem"))
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=ctx,
                                                timeout=60)
        self.conn.request("GET", f"{parts.path}?{parts.query}")
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while raw := self.resp.readline():
                self.lines.put(raw.decode().rstrip("\n"))
        except Exception:  # noqa: BLE001 - the socket is shut down under it on close
            pass

    def take(self, count: int) -> list[str]:
        """The next ``count`` lines (fails after 15 s without one)."""
        return [self.lines.get(timeout=15) for _ in range(count)]

    def close(self) -> None:
        """Shut the socket down: the reading thread's ``recv`` returns at once."""
        assert self.conn.sock is not None
        self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


def live_url(dockyard: Dockyard, ids: dict, **query: str) -> str:
    path = f"/v2/apps/{ids['app']}/deployments/{ids['dep']}/components/site/logs"
    params = "&".join(f"{k}={v}" for k, v in {"type": "RUN", "follow": "true", **query}.items())
    return dockyard.request("GET", f"{path}?{params}").body["live_url"]


def test_follow_shows_every_instance_once_with_its_prefix(dockyard: Dockyard, three_instances):
    ids, folder = three_instances
    stream = Stream(dockyard, live_url(dockyard, ids))
    try:
        first = stream.take(15)
        assert sorted(first) == sorted(f"site-{n} old {n}.{i}" for n in range(3) for i in range(5))
        for n in (2, 0, 1):
            append(folder, n, f"new {n}\n")
        new = stream.take(3)
        assert sorted(new) == ["site-0 new 0", "site-1 new 1", "site-2 new 2"]
        append(folder, 1, "partial ")
        append(folder, 1, "line\n")
        assert stream.take(1) == ["site-1 partial line"]
        append(folder, 2, "sentinel\n")  # no repeated line may come before it
        assert stream.take(1) == ["site-2 sentinel"]
    finally:
        stream.close()


def test_tail_with_follow_prints_the_newest_lines_then_follows(dockyard: Dockyard,
                                                               three_instances):
    ids, folder = three_instances
    stream = Stream(dockyard, live_url(dockyard, ids, tail_lines="3"))
    try:
        assert sorted(stream.take(3)) == ["site-0 old 0.4", "site-1 old 1.4", "site-2 old 2.4"]
        append(folder, 0, "after\n")
        assert stream.take(1) == ["site-0 after"]
        append(folder, 1, "sentinel\n")
        assert stream.take(1) == ["site-1 sentinel"]
    finally:
        stream.close()


def test_cli_follow_with_tail(dockyard: Dockyard, three_instances):
    ids, folder = three_instances
    import subprocess

    from tests.conftest import DOCKYARD

    proc = subprocess.Popen([DOCKYARD, "apps", "logs", ids["app"], "site", "--type", "run",
                             "--deployment", ids["dep"], "--follow", "--tail", "2"],
                            env=dockyard.env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        got = [proc.stdout.readline().rstrip("\n") for _ in range(2)]
        assert sorted(got) == ["site-1 old 1.4", "site-2 old 2.4"]
        append(folder, 2, "one more\n")
        assert proc.stdout.readline().rstrip("\n") == "site-2 one more"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
