"""Deploy benchmark: commit→live seconds (cold and warm), Dockyard's memory, router overhead.

Run: .venv/bin/python bench/deploy.py [--runs N] [--seconds S]

- cold: a new app from the example's spec, empty build cache, warm package cache (uv's own);
  target ≤ 20 s.
- warm: a commit that changes a template, then `apps create-deployment`; target ≤ 3 s.
- RSS of Dockyard's own processes (API server + supervisord); target < 80 MB.
- requests/s through HAProxy vs straight to gunicorn, keep-alive and new connections (wrk),
  measured side by side; target ratio ≥ 0.9.

Everything runs in a temporary DOCKYARD_HOME on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
EXAMPLE = ROOT / "examples" / "profileapp"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@dockyard.invalid"]


class Bench:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        (self.home / "cache").mkdir(parents=True)
        uv_cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True,
                                  check=True).stdout.strip()
        (self.home / "cache" / "uv").symlink_to(uv_cache, target_is_directory=True)
        self.gitconfig = root / "gitconfig"
        self.gitconfig.write_text("")
        self.env = {**os.environ, "DOCKYARD_HOME": str(self.home),
                    "GIT_CONFIG_GLOBAL": str(self.gitconfig)}
        self.repo = root / "profileapp"

    def cli(self, *args: str) -> str:
        return subprocess.run([DOCKYARD, *args], env=self.env, check=True, capture_output=True,
                              text=True).stdout

    def make_repo(self) -> None:
        shutil.copytree(EXAMPLE, self.repo, ignore=shutil.ignore_patterns(
            "db.sqlite3", "staticfiles", "__pycache__"))
        subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=self.repo, check=True)
        self.commit("initial")
        subprocess.run(["git", "config", "--file", str(self.gitconfig),
                        f"url.{self.repo}.insteadOf", "https://github.com/example/profileapp.git"],
                       check=True)

    def commit(self, message: str) -> None:
        subprocess.run([*GIT, "add", "-A"], cwd=self.repo, check=True)
        subprocess.run([*GIT, "commit", "-q", "-m", message], cwd=self.repo, check=True)

    def spec(self, name: str) -> Path:
        path = self.root / f"{name}.yaml"
        path.write_text((EXAMPLE / "config" / "app.yaml").read_text()
                        .replace("name: profileapp", f"name: {name}", 1))
        return path


def wait_for_text(url: str, text: bytes, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if text in resp.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {text!r} at {url}")


def cold_run(bench: Bench, n: int) -> float:
    shutil.rmtree(bench.home / "cache" / "builds", ignore_errors=True)
    name = f"cold-{n}"
    start = time.perf_counter()
    bench.cli("apps", "create", "--spec", str(bench.spec(name)))
    app = json.loads(bench.cli("apps", "get", name, "-o", "json"))[0]
    wait_for_text(app["live_url"] + "/", b"<h1>ProfileApp</h1>")
    took = time.perf_counter() - start
    bench.cli("apps", "delete", name, "--force")
    return took


def warm_run(bench: Bench, url: str, n: int, original: str) -> float:
    """Change only a template (no dependency change): the environment is reused."""
    template = bench.repo / "pages" / "templates" / "pages" / "index.html"
    marker = f"warm-{n}-{time.time_ns()}"
    template.write_text(original.replace("{% block content %}",
                                         f"{{% block content %}}<!-- {marker} -->", 1))
    start = time.perf_counter()
    bench.commit(marker)
    bench.cli("apps", "create-deployment", "profileapp")
    wait_for_text(url + "/", marker.encode())
    return time.perf_counter() - start


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wrk(url: str, seconds: int, close: bool) -> float:
    argv = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    if close:
        argv += ["-H", "Connection: close"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit("wrk printed no Requests/sec:\n" + out)


def throughput(bench: Bench, live: str, seconds: int) -> None:
    if not shutil.which("wrk"):
        print("router vs direct: skipped (wrk not installed; `make setup` installs it)")
        return
    app = json.loads(bench.cli("apps", "get", "profileapp", "-o", "json"))[0]
    dep = app["active_deployment"]["id"]
    detail = json.loads(bench.cli("apps", "get-deployment", "profileapp", dep, "-o", "json"))[0]
    port = detail["dockyard"]["instances"][0]["port"]
    direct = f"http://127.0.0.1:{port}/health/"
    routed = f"{live}/health/"
    print(f"{'requests/s (/health/)':<28}{'router':>10}{'direct':>10}{'ratio':>8}  target ≥ 0.9")
    for label, close in (("keep-alive", False), ("new connections", True)):
        r = [wrk(routed, seconds, close), wrk(direct, seconds, close)]
        r2 = [wrk(direct, seconds, close), wrk(routed, seconds, close)]  # alternate order
        via, straight = (r[0] + r2[1]) / 2, (r[1] + r2[0]) / 2
        print(f"{label:<28}{via:>10.0f}{straight:>10.0f}{via / straight:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        bench = Bench(Path(tmp))
        bench.make_repo()
        bench.cli("up")
        try:
            colds = [cold_run(bench, n) for n in range(args.runs)]
            bench.cli("apps", "create", "--spec", str(EXAMPLE / "config" / "app.yaml"), "--wait")
            live = json.loads(bench.cli("apps", "get", "profileapp", "-o", "json"))[0]["live_url"]
            original = (bench.repo / "pages/templates/pages/index.html").read_text()
            warms = []
            for n in range(args.runs):
                warms.append(warm_run(bench, live, n, original))
                time.sleep(2)  # let the previous release drain before the next commit
            print(f"{'commit→live (s)':<28}{'median':>10}{'min':>8}{'max':>8}  target")
            print(f"{'cold (new app, no build cache)':<28}{statistics.median(colds):>10.2f}"
                  f"{min(colds):>8.2f}{max(colds):>8.2f}  ≤ 20")
            print(f"{'warm (template change)':<28}{statistics.median(warms):>10.2f}"
                  f"{min(warms):>8.2f}{max(warms):>8.2f}  ≤ 3")
            status = json.loads(bench.cli("status", "-o", "json"))
            pids = [status["supervisord_pid"], status["processes"]["dockyard-api"]["pid"]]
            print(f"{'RSS API server + supervisord':<28}{rss_mb(pids):>10.1f} MB  target < 80")
            throughput(bench, live, args.seconds)
        finally:
            subprocess.run([DOCKYARD, "down"], env=bench.env, capture_output=True)


if __name__ == "__main__":
    main()
