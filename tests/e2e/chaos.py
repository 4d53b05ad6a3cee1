"""Faults under load: ``kill -9`` one part of a live Dockyard at a time while requests run,
wait until it is back by itself, deploy again, and count what was lost.

Shared by ``tests/e2e/test_chaos.py`` (asserts) and ``bench/chaos.py`` (prints the table).
The app (``tests/apps/chaos_notes``) writes a PostgreSQL row on every ``GET /`` and answers
with the row's id only once it committed; its static site (nginx) answers ``version=…``.
Two bounded load loops (``tests.e2e.load.LoadLoop``) run the whole time, one per path.

Nothing here starts or repairs Dockyard: after a kill, only Dockyard brings itself back.
"""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import wait_for
from tests.e2e import procs
from tests.e2e.load import LoadLoop, Sample
from tests.source.gitrepo import commit

APP = Path(__file__).resolve().parents[1] / "apps" / "chaos_notes"
NAME = "chaos"
URL = "https://github.com/example/chaos.git"
PATHS = ("/", "/static/")
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
ROW = re.compile(r"\brow=(\d+)\b")


class Target:
    """The installation under test, reached as a user would (CLI, HTTPS API) plus
    supervisord's own socket for pids."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        from dockyard.paths import Home
        from dockyard.runtime.local.supervisor import Supervisor

        self.home = home
        self.env = env
        self.supervisor = Supervisor(Home(home))

    def cli(self, *args: str, timeout: float = 600) -> str:
        proc = subprocess.run([DOCKYARD, *args], env=self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"dockyard {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}{proc.stderr}")
        return proc.stdout

    def settings(self) -> dict[str, Any]:
        return dict(json.loads((self.home / "config.json").read_text()))

    def api(self, path: str, timeout: float = 5) -> Any:
        """GET on the API with the admin token (None when it does not answer)."""
        ctx = ssl.create_default_context(cafile=str(self.home / "tls" / "ca.pem"))
        token = (self.home / "admin.token").read_text().strip()
        port = self.settings()["api_port"]
        req = urllib.request.Request(f"https://127.0.0.1:{port}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=timeout) as resp:
                return json.loads(resp.read() or b"null")
        except (OSError, urllib.error.URLError, ssl.SSLError, ValueError):
            return None

    def rpc(self, method: str, *args: Any) -> Any:
        """One call to supervisord's XML-RPC on its socket (the connection closed after);
        None when it does not answer or refuses."""
        import xmlrpc.client

        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.supervisor.sock}")
        proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        try:
            return getattr(proxy.supervisor, method)(*args)
        except (OSError, xmlrpc.client.Error):
            return None
        finally:
            transport.close()

    def supervisord_running(self) -> bool:
        state = self.rpc("getState")
        return bool(state and state["statename"] == "RUNNING")

    def processes(self) -> list[dict[str, Any]]:
        """supervisord's record of every program (name, statename, pid)."""
        return list(self.rpc("getAllProcessInfo") or [])

    def program_pid(self, name: str) -> int | None:
        """The pid supervisord gives for a RUNNING program (None otherwise, or when
        supervisord does not answer)."""
        info = self.rpc("getProcessInfo", name)
        return int(info["pid"]) if info and info["statename"] == "RUNNING" else None


def fetch(port: int, path: str, timeout: float = 3) -> tuple[int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as exc:
        return 0, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def version_of(body: str) -> str:
    return body.split(" ", 1)[0].strip().removeprefix("version=")


def cause(path: str, sample: Sample) -> str:
    """What a failed request met, short: the exception's name or the status and body."""
    if sample.status == 0:
        return f"{path} {sample.body.split(':', 1)[0]}"
    first = (sample.body.strip().splitlines() or [""])[0][:40]
    return f"{path} HTTP {sample.status} {first}".strip()


@dataclass
class Victim:
    """What a fault kills, and when the part it belonged to counts as back (``ready`` gives
    the reason it is not yet, or None)."""

    pid: int
    what: str
    ready: Callable[[], str | None]


@dataclass
class Fault:
    key: str
    name: str
    find: Callable[[Chaos], Victim]


@dataclass
class Row:
    fault: str
    pid: int = 0
    what: str = ""
    back_after: float | None = None     # seconds from the kill until serving again
    sent: int = 0                       # requests sent from the kill to the next deployment
    failed: int = 0
    outage: float = 0.0                 # first to last failed request, seconds
    causes: Counter[str] = field(default_factory=Counter)
    acked: int = 0                      # rows the app acknowledged in this row's window
    lost: int = 0                       # of those, not in the database afterwards
    deploy_failed: int = 0              # failed requests during and after the next deployment
    old_served: int = 0                 # answers of an older release after it went live
    orphans: list[str] = field(default_factory=list)
    status_ok: bool = False             # `dockyard status` told the truth once back
    error: str | None = None

    @property
    def only_new(self) -> bool:
        return self.error is None and not self.old_served and not self.orphans

    @property
    def ok(self) -> bool:
        return (self.error is None and self.back_after is not None and not self.lost
                and self.only_new and not self.deploy_failed and self.status_ok)


class Chaos:
    """One installation with the chaos app live and two load loops on it."""

    def __init__(self, target: Target, repo: Path, *, threads: int = 2,
                 max_seconds: float = 900, recover_timeout: float = 120) -> None:
        self.target = target
        self.repo = repo
        app = json.loads(target.cli("apps", "get", NAME, "-o", "json"))[0]
        self.app_id: str = app["id"]
        self.port = int(app["live_url"].rsplit(":", 1)[1])
        self.version = version_of(fetch(self.port, "/")[1])
        self.recover_timeout = recover_timeout
        self.loops = {path: LoadLoop(self.port, path, keepalive_threads=threads - threads // 2,
                                     fresh_threads=threads // 2, max_seconds=max_seconds)
                      for path in PATHS}
        self.deploys = 0

    # -- the load ------------------------------------------------------------------------
    def start(self) -> Chaos:
        for loop in self.loops.values():
            loop.start()
        self.wait(lambda: all(sum(s.ok for s in loop.window(0, time.perf_counter())) >= 20
                              for loop in self.loops.values()) or None,
                  "the load loops' first answers", 60)
        return self

    def stop(self) -> None:
        for loop in self.loops.values():
            loop.stop()

    def samples(self, start: float, end: float) -> list[tuple[str, Sample]]:
        return [(path, s) for path, loop in self.loops.items() for s in loop.window(start, end)]

    wait = staticmethod(wait_for)

    def active_deployment(self) -> str:
        got = self.target.api(f"/v2/apps/{self.app_id}")
        assert got, "the API does not answer"
        return str(got["app"]["active_deployment"]["id"])

    def instances(self) -> list[str]:
        """The app's instance programs as supervisord has them."""
        return sorted(str(i["name"]) for i in self.target.processes()
                      if str(i["name"]).startswith(f"i-{self.app_id[:8]}-"))

    def settle(self, timeout: float = 120) -> None:
        """Only the live deployment's instances run (the release before it has drained), so
        a fault meets a steady installation."""
        def steady() -> bool:
            active = self.active_deployment()[:8]
            names = self.instances()
            return bool(names) and all(f"-{active}-" in n for n in names)
        self.wait(steady, "the previous release to drain", timeout, 0.2)

    # -- one fault -----------------------------------------------------------------------
    def run(self, fault: Fault) -> Row:
        row = Row(fault.name)
        start = time.perf_counter()
        try:
            self.settle()
            victim = fault.find(self)
            row.pid, row.what = victim.pid, victim.what
            killed = time.perf_counter()
            os.kill(victim.pid, signal.SIGKILL)
            row.back_after = self.back(victim, killed)
            row.status_ok = self.status_truthful()
            deploying = time.perf_counter()
            self.count_failures(row, killed, deploying)
            self.deploy_again(row, fault.key, deploying)
        except AssertionError as exc:
            row.error = str(exc).splitlines()[0][:200]
        self.count_rows(row, start, time.perf_counter())
        return row

    def back(self, victim: Victim, killed: float) -> float | None:
        """Seconds from the kill until the victim is gone, its part is back and the app, its
        static site and the API all answer on new connections."""
        def check() -> str | None:
            if procs.alive(victim.pid):
                return f"pid {victim.pid} still runs"
            return victim.ready() or self.serving()

        last = [""]

        def is_back() -> bool:
            last[0] = check() or ""
            return not last[0]

        try:
            wait_for(is_back, f"{victim.what} to be back by itself", self.recover_timeout)
        except AssertionError:
            raise AssertionError(f"{victim.what} not back by itself within "
                                 f"{self.recover_timeout:.0f} s: {last[0]}") from None
        return time.perf_counter() - killed

    def serving(self, version: str | None = None) -> str | None:
        """None when the app (``/`` writes a row), its static site and the API answer."""
        for path in PATHS:
            status, body = fetch(self.port, path)
            if status != 200:
                return f"{path} answers {status}: {body[:80]!r}"
            if version and version_of(body) != version:
                return f"{path} serves {version_of(body)!r}, not {version!r}"
        if self.target.api("/healthz") is None:
            return "the API does not answer /healthz"
        return None

    def status_truthful(self, timeout: float = 60) -> bool:
        """`dockyard status` says every part runs and nothing is left over."""
        def check() -> bool:
            status = json.loads(self.target.cli("status", "-o", "json"))
            parts = status["running"]
            return all(parts[p] for p in ("supervisord", "api", "haproxy", "nginx",
                                         "postgres")) and status["leftovers"] == []
        self.wait(check, "`dockyard status` to show every part running", timeout, 0.5)
        return True

    def count_failures(self, row: Row, start: float, end: float) -> None:
        got = self.samples(start, end)
        bad = [(path, s) for path, s in got if not s.ok]
        row.sent, row.failed = len(got), len(bad)
        row.causes = Counter(cause(path, s) for path, s in bad)
        if bad:
            row.outage = max(s.at + s.seconds for _, s in bad) - min(s.at for _, s in bad)

    # -- the next deployment --------------------------------------------------------------
    def deploy_again(self, row: Row, key: str, start: float) -> None:
        """Deploy a new version; every answer after it went live must be that version, and
        no process of the installation may run outside supervisord's tree."""
        self.deploys += 1
        version = f"v{self.deploys}-{key}"
        commit(self.repo, {"version.txt": version + "\n",
                           "static/index.html": f"version={version}\n"}, version)
        self.target.cli("apps", "create-deployment", NAME, "--wait")
        live = time.perf_counter()
        self.version = version
        self.wait(lambda: all(len(loop.window(live, time.perf_counter())) >= 30
                              for loop in self.loops.values()),
                  "30 answers per path after the deployment", 60)
        fresh = [fetch(self.port, path) for path in PATHS for _ in range(10)]
        after = [s for _, s in self.samples(live, time.perf_counter())]
        row.old_served = sum(1 for s in after if s.ok and version_of(s.body) != version)
        row.old_served += sum(1 for st, body in fresh if st == 200 and version_of(body) != version)
        row.deploy_failed = sum(not s.ok for _, s in self.samples(start, time.perf_counter()))
        row.deploy_failed += sum(st != 200 for st, _ in fresh)
        row.orphans = self.orphans()

    def orphans(self, settle: float = 15) -> list[str]:
        """Processes of this installation that run outside supervisord's tree (an orphan of a
        killed process, still answering), as ``pid comm (command line)``.

        A process counts when its parent links lead to init, not to supervisord (nor to us:
        the CLI), and it is still there ``settle`` seconds on: a process on its way out (a
        killed master's worker finishing) is not an orphan that answers requests.
        """
        suspects = self.outside_tree()
        deadline = time.monotonic() + settle
        while suspects and time.monotonic() < deadline:
            time.sleep(0.2)
            suspects &= self.outside_tree()
        return [f"{pid} {procs.comm(pid)} ({procs.cmdline(pid)[:60]})" for pid in sorted(suspects)]

    def outside_tree(self) -> set[int]:
        from dockyard.paths import Home
        from dockyard.runtime.local.leftovers import marks

        sup = self.target.supervisor.pid()
        every = {p.pid: p for p in procs.every()}
        mine = marks(Home(self.target.home))
        own = os.getpid()
        found = set()
        for proc in every.values():
            if proc.pid in (own, sup) or not any(m in proc.text for m in mine):
                continue
            chain = procs.ancestors(proc.pid, every)
            # a chain cut short (a parent that ended during the scan) proves nothing
            if chain and chain[-1] == 1 and sup not in chain and own not in chain:
                found.add(proc.pid)
        return found

    # -- rows in the database --------------------------------------------------------------
    def count_rows(self, row: Row, start: float, end: float) -> None:
        acked = {int(m.group(1)) for _, s in self.samples(start, end)
                 if s.ok and (m := ROW.search(s.body))}
        row.acked = len(acked)
        if not acked:
            return
        import psycopg

        with psycopg.connect(self.db_url(), connect_timeout=10) as conn:
            present = {r[0] for r in conn.execute("SELECT id FROM hits WHERE id = ANY(%s)",
                                                  (sorted(acked),))}
        row.lost = len(acked - present)

    def db_url(self) -> str:
        from dockyard.databases import PostgresServer
        from dockyard.paths import Home

        server = PostgresServer(Home(self.target.home), self.target.settings()["postgres_port"])
        conn = server.connection(self.app_id, "db")
        assert conn is not None, "the app's database was never provisioned"
        return conn.url
