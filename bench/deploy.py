"""Deploy benchmark: commit→live seconds (cold and warm), Dockyard's memory, router overhead.

Run: .venv/bin/python bench/deploy.py [--runs N] [--seconds S] [--apps profile,node]

- first: the first app on a fresh installation (empty build cache; includes PostgreSQL's
  initdb when the spec declares `databases:`). Reported, no target.
- cold: a new app from the example's spec (`apps create` → its page served). Each app has its
  own build and package caches (isolation: one app's build never plants code in another's),
  so a new app creates its virtualenv and downloads its packages; target ≤ 20 s.
- warm: a commit that changes only a template, then `apps create-deployment` (commit → the
  new page served); the environment is reused; target ≤ 3 s.
  Each run's build log is checked: cold must say "Creating environment", warm "Reusing
  environment", or the benchmark stops. The deploy log's own timings (build, health gate,
  live) are printed beside the wall-clock figures, to show where the time goes.
- RSS of Dockyard's own processes (API server + supervisord) right after `up` and after all
  the deployments; target < 80 MB. HAProxy + nginx are shown for information.
- requests/s through HAProxy vs straight to gunicorn on `/health/` (wrk, 2 threads, 16
  connections), keep-alive and new connections, measured alternately (ABBA); target ≥ 0.9.
  Any non-2xx response or socket error is reported.
- public mode (``bench/public_bench.py``, skipped with --no-public): the same installation
  goes public with pebble as its CA; `apps create` → first HTTPS 200 at
  https://<app>.<domain> (median of 3), and HTTPS through HAProxy vs plain HTTP straight to
  gunicorn, keep-alive and new connections, side by side; target ≥ 0.9 keep-alive.

- node: the same cold and warm figures for `tests/apps/node_express` (an Express service,
  71 npm packages): cold = a new app, so its own npm cache is empty and node_modules is
  installed from the registry; warm = a commit that changes only `message.txt`,
  node_modules reused (the build log must say "Reusing node_modules"); target warm ≤ 3 s.
- docker (``bench/docker_bench.py``): the same cold and warm figures for
  `tests/apps/dockerfile_service` built with buildah FROM a local base image; warm = a commit
  that changes only the COPY layer; target warm ≤ 5 s, with the build split into buildah and
  the root filesystem's linking.
- isolation's cost (skipped with --no-isolation): a second installation with isolation off
  (`DOCKYARD_ISOLATION=off`: apps run as root, no sandbox, no limits) up beside the first;
  warm commit→live (the same template change, deployed in turns: sandbox, off, off,
  sandbox …, at least --runs each) and requests/s through the router (medians of three ABBA
  rounds), side by side; targets: ≤ 10 % slower deploys, ≥ 0.97 of the throughput.

Pushes are not polled (DOCKYARD_PUSH_POLL_SECONDS=0), so only the benchmark deploys.
Everything runs in a temporary DOCKYARD_HOME on 127.0.0.1, and `dockyard down` stops it at
the end.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dockyard.buildpacks.envcache import user_uv_cache  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
EXAMPLE = ROOT / "examples" / "profileapp"
EXAMPLE_URL = "https://github.com/example/profileapp.git"
NODE_APP = ROOT / "tests" / "apps" / "node_express"
NODE_URL = "https://github.com/example/node-express.git"
NODE_SPEC = """\
name: {name}
services:
  - name: web
    environment_slug: node-js
    github:
      repo: example/node-express
      branch: main
    http_port: 8080
    routes:
      - path: /
    health_check:
      http_path: /health
"""
TEMPLATE = "pages/templates/pages/index.html"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@dockyard.invalid",
       "-c", "commit.gpgsign=false"]
PG_STATE = Path("/var/lib/dockyard/postgres")  # where Dockyard keeps PostgreSQL's data as root


class Installation:
    """A Dockyard in a temporary home whose git maps GitHub URLs to local repositories."""

    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.home = root / "home"
        (self.home / "cache").mkdir(parents=True)
        (self.home / "cache" / "uv").symlink_to(user_uv_cache(), target_is_directory=True)
        self.gitconfig = root / "gitconfig"
        self.gitconfig.write_text("")
        self.env = {**os.environ, "DOCKYARD_HOME": str(self.home),
                    "GIT_CONFIG_GLOBAL": str(self.gitconfig),
                    "DOCKYARD_PUSH_POLL_SECONDS": "0", **env}  # only the benchmark deploys
        self.env.pop("DOCKYARD_TOKEN", None)

    def cli(self, *args: str, timeout: float = 600) -> str:
        proc = subprocess.run([DOCKYARD, *args], env=self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)
        if proc.returncode != 0:
            raise SystemExit(f"dockyard {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}{proc.stderr}")
        return proc.stdout

    def app(self, name: str) -> dict:
        return json.loads(self.cli("apps", "get", name, "-o", "json"))[0]

    def make_repo(self, source: Path, name: str, url: str) -> Path:
        """A git repository (branch main) holding a copy of ``source``, cloned as ``url``."""
        repo = self.root / name
        shutil.copytree(source, repo, ignore=shutil.ignore_patterns(
            "db.sqlite3", "staticfiles", "__pycache__", "*.pyc", ".venv", "node_modules"))
        subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
        commit(repo, "initial")
        subprocess.run(["git", "config", "--file", str(self.gitconfig), "--replace-all",
                        f"url.{repo}.insteadOf", url], check=True)
        return repo

    def deploy_log(self, app: dict, name: str = "deploy.log") -> str:
        """A log of the app's active deployment (DOCKYARD_HOME/apps/<id>/logs/<dep>/)."""
        path = self.home / "apps" / app["id"] / "logs" / app["active_deployment"]["id"] / name
        return path.read_text(errors="replace") if path.exists() else ""

    def rss_mb(self) -> tuple[float, float]:
        """(API server + supervisord, HAProxy + nginx with their workers), in MB."""
        status = json.loads(self.cli("status", "-o", "json"))
        procs = status["processes"]
        own = rss_kb(status["supervisord_pid"]) + rss_kb(procs["dockyard-api"]["pid"])
        router = sum(rss_kb(pid) + sum(rss_kb(c) for c in children(pid))
                     for name in ("dockyard-haproxy", "dockyard-nginx")
                     if (pid := procs.get(name, {}).get("pid")))
        return own / 1024, router / 1024

    def down(self) -> None:
        """Stop everything; then drop the PostgreSQL data Dockyard kept outside the home."""
        subprocess.run([DOCKYARD, "down"], env=self.env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=120)
        link = self.home / "postgres" / "data"
        if link.is_symlink():
            state = Path(os.readlink(link)).parent
            if state.parent == PG_STATE:  # our own folder only, named by the link
                shutil.rmtree(state, ignore_errors=True)


def commit(repo: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", message], cwd=repo, check=True)


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def fetch(url: str, timeout: float = 2) -> tuple[int, bytes]:
    """GET on a new connection (no proxy settings apply: 127.0.0.1 only)."""
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
    assert host == "127.0.0.1", url
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/" + url.removeprefix("http://").partition("/")[2])
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wait_for_text(url: str, text: bytes, timeout: float = 120, pause: float = 0.02) -> float:
    """Poll ``url`` until a 200 response contains ``text``; the monotonic time it did."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, body = fetch(url)
            if status == 200 and text in body:
                return time.perf_counter()
            last = status
        except (OSError, http.client.HTTPException) as exc:
            last = exc
        time.sleep(pause)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {text!r} at {url} "
                     f"(last: {last!r})")


def seconds_in(log: str, pattern: str) -> float | None:
    """The seconds a deploy log line reports, e.g. '(3.7s)' after 'Deployment is live'."""
    found = re.findall(pattern, log)
    return float(found[-1]) if found else None


# -- commit → live ---------------------------------------------------------------------------
class ProfileBench:
    """The book's example app: cold = a new virtualenv, warm = a template change."""

    APP = "profileapp"
    PAGE = b"<h1>ProfileApp</h1>"
    COLD_SAYS = "Creating environment"
    WARM_SAYS = "Reusing environment"
    TITLE = "profileapp (Python, PostgreSQL)"
    WARM_LABEL = "warm (template change)"
    WARM_TARGET = 3.0
    COLD_TARGET: float | None = 20.0
    SOURCE, REPO, URL = EXAMPLE, "profileapp", EXAMPLE_URL   # the app's repository
    SPEC: str | None = None   # a spec with {name}; None: the repository's own, renamed

    def __init__(self, inst: Installation) -> None:
        self.inst = inst
        self.repo = inst.make_repo(self.SOURCE, self.REPO, self.URL)
        self.timings: dict[str, list[dict[str, float | None]]] = {}

    def spec(self, name: str) -> Path:
        """The spec of app ``name``: ``SPEC``, or the example's spec as it is, renamed (the
        app name is the top-level `name:`)."""
        path = self.inst.root / f"{name}.yaml"
        if self.SPEC is not None:
            path.write_text(self.SPEC.format(name=name))
            return path
        text = (self.repo / "config" / "app.yaml").read_text()
        renamed, n = re.subn(r"^name:\s*profileapp\s*$", f"name: {name}", text, count=1,
                             flags=re.MULTILINE)
        if n != 1:
            raise SystemExit("config/app.yaml has no top-level `name: profileapp` line")
        path.write_text(renamed)
        return path

    @functools.cached_property
    def original(self) -> str:
        """The template as committed (read before the first mark)."""
        return (self.repo / TEMPLATE).read_text()

    def mark(self, marker: str) -> None:
        """A code-only change that puts ``marker`` on the page."""
        if "{% block content %}" not in self.original:
            raise SystemExit(f"{TEMPLATE} has no '{{% block content %}}' to mark")
        (self.repo / TEMPLATE).write_text(self.original.replace(
            "{% block content %}", f"{{% block content %}}<!-- {marker} -->", 1))

    def record(self, kind: str, name: str, took: float, expect: str) -> float:
        """Check the build log says what this run is meant to measure; keep the log timings."""
        app = self.inst.app(name)
        build = self.inst.deploy_log(app, "build-web.log")
        deploy = self.inst.deploy_log(app)
        if expect not in build:
            raise SystemExit(f"{kind} run of {name}: the build log does not say {expect!r}, so "
                             f"this is not a {kind} deploy:\n{build}")
        self.timings.setdefault(kind, []).append({
            "total": took,
            "build": seconds_in(build, r"Build of 'web' done in ([\d.]+)s"),
            "health": seconds_in(deploy, r"web-0 is healthy \(.*, ([\d.]+)s\)"),
            "live": seconds_in(deploy, r"Deployment is live at \S+ \(([\d.]+)s\)")})
        return took

    def new_app(self, kind: str, name: str) -> float:
        """`apps create` of a new app → its page is served."""
        start = time.perf_counter()
        self.inst.cli("apps", "create", "--spec", str(self.spec(name)))
        live = self.inst.app(name)["live_url"]
        took = wait_for_text(live + "/", self.PAGE) - start
        return self.record(kind, name, took, self.COLD_SAYS)

    def cold(self, n: int) -> float:
        shutil.rmtree(self.inst.home / "cache" / "builds", ignore_errors=True)
        took = self.new_app("cold", f"cold-{self.APP[:4]}-{n}")
        self.inst.cli("apps", "delete", f"cold-{self.APP[:4]}-{n}", "--force")
        return took

    def warm(self, url: str, n: int, kind: str = "warm") -> float:
        """A commit that changes only code, deployed: the dependencies are reused."""
        marker = f"{kind}-{n}-{time.time_ns()}"
        self.mark(marker)
        start = time.perf_counter()
        commit(self.repo, marker)
        self.inst.cli("apps", "create-deployment", self.APP)
        took = wait_for_text(url + "/", marker.encode()) - start
        return self.record(kind, self.APP, took, self.WARM_SAYS)

    def wait_drained(self, timeout: float = 60) -> None:
        """The release that the active deployment replaced has been stopped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "old instance(s) after" in self.inst.deploy_log(self.inst.app(self.APP)):
                return
            time.sleep(0.2)
        raise SystemExit(f"the old release of {self.APP} was not stopped within "
                         f"{timeout:.0f}s")

    def run(self, runs: int, first: bool) -> str:
        """first (optional), cold × runs, then the app itself and warm × runs; its URL."""
        if first:
            self.new_app("first", "first")
            self.inst.cli("apps", "delete", "first", "--force")
        for n in range(runs):
            self.cold(n)
        self.inst.cli("apps", "create", "--spec", str(self.spec(self.APP)), "--wait")
        live = self.inst.app(self.APP)["live_url"]
        for n in range(runs):
            self.warm(live, n)
            self.wait_drained()  # the next run must not queue behind this drain
        return live


class NodeBench(ProfileBench):
    """tests/apps/node_express: cold = node_modules installed (npm's cache warm), warm = a
    change to message.txt with node_modules reused."""

    APP = "node-express"
    PAGE = b"<h1>Hello from Express</h1>"
    COLD_SAYS = "Creating node_modules"
    WARM_SAYS = "Reusing node_modules"
    TITLE = "node-express (Node.js, Express)"
    WARM_LABEL = "warm (message.txt change)"
    SOURCE, REPO, URL, SPEC = NODE_APP, "node-express", NODE_URL, NODE_SPEC

    def mark(self, marker: str) -> None:
        (self.repo / "message.txt").write_text(f"Hello from Express {marker}\n")


def print_deploys(bench: ProfileBench) -> None:
    print(f"{bench.TITLE}")
    print(f"{'  commit→live (s)':<34}{'median':>8}{'min':>7}{'max':>7}  target"
          f"   {'deploy log: build':>17}{'health':>8}{'live':>6}{'outside':>9}")
    cold = f"≤ {bench.COLD_TARGET:g}" if bench.COLD_TARGET else ""
    rows = (("  first (fresh installation)", "first", ""),
            ("  cold (new app, no build cache)", "cold", cold),
            ("  " + bench.WARM_LABEL, "warm", f"≤ {bench.WARM_TARGET:g}"))
    for label, kind, target in rows:
        runs = bench.timings.get(kind, [])
        totals = [r["total"] for r in runs]
        if not totals:
            continue
        logs = [statistics.median([r[k] for r in runs if r[k] is not None] or [float("nan")])
                for k in ("build", "health", "live")]
        outside = statistics.median(totals) - logs[2]  # CLI, API, worker start, first request
        verdict = ("ok" if statistics.median(totals) <= float(target.split()[-1]) else "MISSED"
                   ) if target else ""
        print(f"{label:<34}{statistics.median(totals):>8.2f}{min(totals):>7.2f}"
              f"{max(totals):>7.2f}  {target:<5}{verdict:<7}{logs[0]:>10.1f}{logs[1]:>8.1f}"
              f"{logs[2]:>6.1f}{outside:>9.1f}")


# -- router vs direct ------------------------------------------------------------------------
def wrk(url: str, seconds: int, close: bool, extra: list[str] | None = None
        ) -> tuple[float, str]:
    argv = ["wrk", "-t2", "-c16", f"-d{seconds}s", *(extra or [])]
    if close:
        argv += ["-H", "Connection: close"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    errors = [line.strip() for line in out.splitlines()
              if line.strip().startswith(("Non-2xx", "Socket errors"))]
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1]), "; ".join(errors)
    raise SystemExit("wrk printed no Requests/sec:\n" + out)


def isolation_cost(sandboxed: ProfileBench, live: str, root: Path, runs: int,
                   seconds: int) -> None:
    """The same warm deploys and router throughput with isolation off, side by side: both
    installations up at once, measured in turns (ABBA), so the machine's drift falls on both.
    """
    plain = Installation(root / "plain", DOCKYARD_ISOLATION="off")
    benches = {"sandbox": sandboxed, "off": ProfileBench(plain)}
    rates: dict[str, list[float]] = {"sandbox": [], "off": []}
    try:
        plain.cli("up")
        plain.cli("apps", "create", "--spec", str(benches["off"].spec("profileapp")), "--wait")
        urls = {"sandbox": live, "off": plain.app("profileapp")["live_url"]}
        order = ("sandbox", "off", "off", "sandbox") * max(1, (runs + 1) // 2)
        for n, which in enumerate(order):
            benches[which].warm(urls[which], n, kind="isolation")
            benches[which].wait_drained()
        for which in ("sandbox", "off", "off", "sandbox") * 3:
            rates[which].append(wrk(f"{urls[which]}/health/", seconds, close=False)[0])
    finally:
        plain.down()
    warm = {k: statistics.median(r["total"] for r in b.timings["isolation"])
            for k, b in benches.items()}
    rate = {k: statistics.median(v) for k, v in rates.items()}
    slower, share = warm["sandbox"] / warm["off"], rate["sandbox"] / rate["off"]
    turns = len(benches["off"].timings["isolation"])
    print(f"{'isolation: sandbox vs off':<34}{'sandbox':>8}{'off':>8}{'ratio':>7}  target")
    print(f"{f'warm commit→live (s), {turns} each':<34}{warm['sandbox']:>8.2f}{warm['off']:>8.2f}"
          f"{slower:>7.2f}  ≤ 1.10 {'ok' if slower <= 1.10 else 'MISSED'}")
    for key, label in (("health", "health gate"), ("live", "deploy log's live")):
        got = {k: statistics.median(float("nan") if r[key] is None else r[key]
                                    for r in b.timings["isolation"]) for k, b in benches.items()}
        ratio = f"{got['sandbox'] / got['off']:>7.2f}" if got["off"] else f"{'—':>7}"
        print(f"{f'  {label} (s)':<34}{got['sandbox']:>8.2f}{got['off']:>8.2f}{ratio}")
    print(f"{'requests/s via router, keep-alive':<34}{rate['sandbox']:>8.0f}{rate['off']:>8.0f}"
          f"{share:>7.2f}  ≥ 0.97 {'ok' if share >= 0.97 else 'MISSED'}")


def throughput(inst: Installation, live: str, seconds: int) -> None:
    if not shutil.which("wrk"):
        print("router vs direct: skipped (wrk not installed; `make setup` installs it)")
        return
    dep = inst.app("profileapp")["active_deployment"]["id"]
    detail = json.loads(inst.cli("apps", "get-deployment", "profileapp", dep, "-o", "json"))[0]
    ports = [i["port"] for i in detail["dockyard"]["instances"] if i["component"] == "web"]
    urls = {"router": f"{live}/health/", "direct": f"http://127.0.0.1:{ports[0]}/health/"}
    for url in urls.values():
        if fetch(url)[0] != 200:
            raise SystemExit(f"{url} does not answer 200")
    print(f"{'requests/s (/health/, wrk -c16)':<34}{'router':>8}{'direct':>8}{'ratio':>7}"
          "  target ≥ 0.9")
    for label, close in (("keep-alive", False), ("new connections", True)):
        got: dict[str, list[float]] = {"router": [], "direct": []}
        problems = []
        for which in ("router", "direct", "direct", "router"):  # ABBA: drift cancels out
            rate, errors = wrk(urls[which], seconds, close)
            got[which].append(rate)
            if errors:
                problems.append(f"{which}: {errors}")
        via, straight = statistics.mean(got["router"]), statistics.mean(got["direct"])
        ratio = via / straight
        print(f"{label:<34}{via:>8.0f}{straight:>8.0f}{ratio:>7.2f}  "
              f"{'ok' if ratio >= 0.9 else 'MISSED'}")
        for problem in problems:
            print(f"  ! wrk reported errors ({problem})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    parser.add_argument("--apps", default="profile,node",
                        help="which apps to deploy: profile (the book's, with the memory and "
                             "router figures), node (the Express app), docker (a Dockerfile "
                             "app), comma-separated")
    parser.add_argument("--no-isolation", action="store_true",
                        help="skip isolation's cost (a second installation with it off)")
    parser.add_argument("--no-public", action="store_true",
                        help="skip public mode's figures (HTTPS, create → first HTTPS 200)")
    args = parser.parse_args()
    wanted = set(args.apps.split(","))
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        inst = Installation(Path(tmp))
        hub = docker_hub(inst, Path(tmp)) if "docker" in wanted else None
        benches = [b(inst) for key, b in (("profile", ProfileBench), ("node", NodeBench),
                                          ("docker", docker_bench())) if key in wanted]
        print(f"{os.cpu_count()} CPUs, load average before: "
              f"{Path('/proc/loadavg').read_text().split()[0]}")
        try:
            inst.cli("up")
            rss_idle = inst.rss_mb()
            lives = [bench.run(args.runs, first=i == 0) for i, bench in enumerate(benches)]
            for bench in benches:
                print_deploys(bench)
                if hasattr(bench, "print_breakdown"):
                    bench.print_breakdown()
            own, router = inst.rss_mb()
            print(f"{'RSS API server + supervisord':<34}{rss_idle[0]:>8.1f} MB after up, "
                  f"{own:.1f} MB after the deploys  target < 80 "
                  f"{'ok' if max(own, rss_idle[0]) < 80 else 'MISSED'}")
            print(f"{'RSS HAProxy + nginx (info)':<34}{router:>8.1f} MB")
            if "profile" in wanted:
                throughput(inst, lives[0], args.seconds)
                if not args.no_isolation and shutil.which("wrk"):
                    isolation_cost(benches[0], lives[0], Path(tmp), args.runs, args.seconds)
                if not args.no_public:
                    from public_bench import public_figures

                    public_figures(inst, benches[0].spec, args.seconds, wrk)
        finally:
            inst.down()
            if hub is not None:
                hub.stop()


def docker_hub(inst: Installation, root: Path):  # type: ignore[no-untyped-def]
    """The local registry the Dockerfile app's FROM is pulled from (before ``up``)."""
    from docker_bench import LocalHub

    hub = LocalHub(root)
    hub.configure(inst)
    return hub


def docker_bench() -> type[ProfileBench]:
    from docker_bench import DockerBench

    return DockerBench


if __name__ == "__main__":
    main()
