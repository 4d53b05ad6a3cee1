"""Zero-downtime benchmark: failures and latency under load while deploying, rollback time.

Run: .venv/bin/python bench/zero_downtime.py [--deploys K] [--rollbacks R] [--threads T]
     [--seconds N]

The app is `tests/apps/zero_downtime` (gunicorn, 2 instances, `/health` check), whose page
prints `version=<version.txt> pid=…`. A bounded load loop runs against its live URL for the
whole run: T threads, half on one keep-alive connection each, half opening a new connection
per request, each pausing 5 ms between requests (the same load throughout).

- idle: a window of N seconds without any deployment;
- deploying: a window of K back-to-back deployments, each of a one-line change (version.txt),
  `apps create-deployment --wait`, from the first command's start to the last one's return;
- rolling back: R times `dockyard apps rollback APP --skip-pin` (the previous live release),
  timed from the command's start until a new connection to the live URL gets that release's
  page (polled every 5 ms); target < 1 s (median). Each rollback starts once the release it
  replaced has been drained, so it does not queue behind that drain.

Printed: requests and failures (any status but 200, or a connection error; target 0) and
p50/p99 latency per window, side by side; the median rollback time, with the deploy log's
own "live after" seconds beside it. Pushes are not polled (DOCKYARD_PUSH_POLL_SECONDS=0).
Everything runs in a temporary DOCKYARD_HOME on 127.0.0.1, and `dockyard down` stops it at
the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from deploy import DOCKYARD, Installation, commit, fetch, seconds_in  # noqa: E402
from tests.e2e.load import LoadLoop  # noqa: E402 - the same load loop as the e2e tests

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "tests" / "apps" / "zero_downtime"
URL = "https://github.com/example/zerodown.git"
NAME = "zerodown"
ROLLBACK_TARGET_S = 1.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


class ZeroDowntime:
    def __init__(self, inst: Installation) -> None:
        self.inst = inst
        self.repo = inst.make_repo(APP, "zerodown", URL)
        spec = inst.root / "app.yaml"
        shutil.copy(APP / "app.yaml", spec)
        inst.cli("apps", "create", "--spec", str(spec), "--wait")
        self.app = inst.app(NAME)
        self.url = self.app["live_url"]
        self.served = [self.version()]  # the versions that went live, in order
        self.deploy_seconds: list[float] = []
        self.rollbacks: list[tuple[float, float | None]] = []  # (measured, deploy log's live)

    def version(self) -> str:
        status, body = fetch(self.url + "/")
        if status != 200:
            raise SystemExit(f"{self.url}/ answered {status}")
        return body.decode().split()[0].removeprefix("version=")

    def wait_drained(self, dep_id: str, timeout: float = 60) -> str:
        """Deployment ``dep_id`` is active and its log says the release it replaced was
        stopped; returns that log."""
        deadline = time.monotonic() + timeout
        log = ""
        while time.monotonic() < deadline:
            app = self.inst.app(NAME)
            if app["active_deployment"]["id"] == dep_id:
                log = self.inst.deploy_log(app)
                if "old instance(s) after" in log:
                    return log
            time.sleep(0.2)
        raise SystemExit(f"deployment {dep_id}: the release it replaced was not stopped "
                         f"within {timeout:.0f}s:\n{log}")

    def active_id(self) -> str:
        return self.inst.app(NAME)["active_deployment"]["id"]

    def deploy(self, n: int) -> None:
        version = f"v{n}"
        (self.repo / "version.txt").write_text(version + "\n")
        start = time.perf_counter()
        commit(self.repo, version)
        self.inst.cli("apps", "create-deployment", NAME, "--wait")
        self.deploy_seconds.append(time.perf_counter() - start)
        if self.version() != version:
            raise SystemExit(f"deployment of {version} went ACTIVE but {self.url} serves "
                             f"{self.version()}")
        self.served.append(version)

    def rollback(self, timeout: float = 30) -> None:
        """`apps rollback` (no --wait), then poll new connections until the old page shows."""
        target = self.served[-2]
        want = f"version={target} ".encode()
        start = time.perf_counter()
        proc = subprocess.Popen([DOCKYARD, "apps", "rollback", NAME, "--skip-pin", "-o", "json"],
                                env=self.inst.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        took, last = None, ""
        try:
            while took is None and time.perf_counter() - start < timeout:
                try:
                    status, body = fetch(self.url + "/", timeout=1)
                    if status == 200 and body.startswith(want):
                        took = time.perf_counter() - start
                    last = body[:40].decode(errors="replace")
                except (OSError, http.client.HTTPException) as exc:
                    last = repr(exc)
                if took is None and proc.poll() not in (None, 0):
                    break
                time.sleep(0.005)
        finally:
            out, err = proc.communicate(timeout=60)
        if proc.returncode != 0 or took is None:
            raise SystemExit(f"rollback to {target} failed or was not served within "
                             f"{timeout:.0f}s (last page: {last!r}):\n{out}{err}")
        self.served.append(target)
        log = self.wait_drained(json.loads(out)[0]["id"])
        self.rollbacks.append((took, seconds_in(log, r"Deployment is live at \S+ \(([\d.]+)s\)")))


def report(load: LoadLoop, windows: dict[str, tuple[float, float]], zd: ZeroDowntime) -> bool:
    failures = [s for s in load.samples if not s.ok]
    print(f"requests sent: {len(load.samples)} ({load.threads} threads: keep-alive and new "
          f"connections), failures: {len(failures)} (target 0)"
          f"{'  ok' if not failures else '  MISSED'}")
    for sample in failures[:10]:
        print(f"  ! at +{sample.at - load_start(load):.2f}s: {sample.detail}")
    print(f"{'window':<34}{'seconds':>8}{'requests':>10}{'failed':>8}{'p50 ms':>8}"
          f"{'p99 ms':>8}{'max ms':>8}")
    for label, (start, end) in windows.items():
        got = load.window(start, end)
        ms = [s.seconds * 1000 for s in got]
        print(f"{label:<34}{end - start:>8.1f}{len(got):>10}{sum(not s.ok for s in got):>8}"
              f"{percentile(ms, 50):>8.1f}{percentile(ms, 99):>8.1f}{max(ms, default=0):>8.1f}")
    print(f"deploy (commit → `--wait` returned): median {statistics.median(zd.deploy_seconds):.2f}"
          f" s over {len(zd.deploy_seconds)} deploys")
    measured = [m for m, _ in zd.rollbacks]
    logged = [s for _, s in zd.rollbacks if s is not None]
    med = statistics.median(measured)
    print(f"rollback (command start → old page served): median {med:.2f} s, min "
          f"{min(measured):.2f}, max {max(measured):.2f} over {len(measured)} rollbacks; "
          f"target < {ROLLBACK_TARGET_S:.0f} s {'ok' if med < ROLLBACK_TARGET_S else 'MISSED'}")
    if logged:
        print(f"  deploy log 'Deployment is live (…s)' for those rollbacks: median "
              f"{statistics.median(logged):.2f} s")
    print(f"versions served: {' → '.join(zd.served)}")
    return not failures


def load_start(load: LoadLoop) -> float:
    return min((s.at for s in load.samples), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=10)
    parser.add_argument("--rollbacks", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4,
                        help="load threads, half keep-alive, half new connections")
    parser.add_argument("--seconds", type=int, default=20, help="the idle window")
    args = parser.parse_args()
    if args.rollbacks and args.deploys < 1:
        parser.error("a rollback needs an earlier release: --deploys must be at least 1")
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        inst = Installation(Path(tmp))
        print(f"{os.cpu_count()} CPUs, load average before: "
              f"{Path('/proc/loadavg').read_text().split()[0]}")
        load: LoadLoop | None = None
        ok = False
        try:
            inst.cli("up")
            zd = ZeroDowntime(inst)
            load = LoadLoop(int(zd.url.rsplit(":", 1)[1]),
                            keepalive_threads=args.threads - args.threads // 2,
                            fresh_threads=args.threads // 2).start()
            time.sleep(1)  # connections established
            start = time.perf_counter()
            time.sleep(args.seconds)
            windows = {"idle": (start, time.perf_counter())}
            start = time.perf_counter()
            for n in range(1, args.deploys + 1):
                zd.deploy(n)
            windows[f"deploying ({args.deploys} deploys)"] = (start, time.perf_counter())
            zd.wait_drained(zd.active_id())
            start = time.perf_counter()
            for _ in range(args.rollbacks):
                zd.rollback()
            windows[f"rolling back ({args.rollbacks}, with drains)"] = (start, time.perf_counter())
            load.stop()
            ok = report(load, windows, zd)
        finally:
            if load:
                load.stop()
            inst.down()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
