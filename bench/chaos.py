"""Faults under load: kill -9 each part of Dockyard in turn while requests run; recovery.

Run: .venv/bin/python bench/chaos.py [--threads T] [--only KEY …] [--recover-timeout S]

The app is `tests/apps/chaos_notes`: a gunicorn service (2 instances) whose `GET /` writes
one row to its PostgreSQL database and answers `version=… row=<id>` once the row committed,
plus a static site (nginx) at `/static/`. Two bounded load loops (`tests/e2e/load.py`, the
e2e tests' loop) run the whole time, one per path, T threads each (half keep-alive, half a
new connection per request, 5 ms pause).

For each fault in turn (`tests/e2e/chaos_faults.py`): find the pid (supervisord's record, then
/proc parent links; never a name), `kill -9` it, and wait — without any `dockyard up` — until
the killed pid is gone, its part runs again, and `/`, `/static/` and the API answer on new
connections. Then deploy a new version (`apps create-deployment --wait`).

Printed per fault: failed requests / requests sent from the kill to the next deployment,
the span from the first to the last failed request, seconds from the kill until serving
again, rows acknowledged (a 200 with a row id) and of those missing from the database
afterwards (target 0), and whether the next deployment served only the new release to every
request after it went live, with no process of the installation left outside supervisord's
tree (target yes). The causes of failed requests are listed below the table.
Everything runs in a temporary DOCKYARD_HOME on 127.0.0.1; `dockyard down` stops it at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from deploy import Installation  # noqa: E402
from tests.e2e.chaos import APP, NAME, URL, Chaos, Row, Target  # noqa: E402
from tests.e2e.chaos_faults import FAULTS  # noqa: E402


def table(rows: list[Row]) -> str:
    head = (f"{'fault':<26}{'failed/sent':>14}{'outage s':>10}{'back after s':>14}"
            f"{'rows lost':>12}{'next deploy':>14}")
    lines = [head, "-" * len(head)]
    for r in rows:
        back = f"{r.back_after:.1f}" if r.back_after is not None else "NOT BACK"
        lost = f"{r.lost}/{r.acked}"
        nxt = "yes" if r.only_new and r.error is None else "NO"
        if r.deploy_failed:
            nxt += f" ({r.deploy_failed} failed)"
        lines.append(f"{r.fault:<26}{f'{r.failed}/{r.sent}':>14}{r.outage:>10.1f}{back:>14}"
                     f"{lost:>12}{nxt:>14}")
    return "\n".join(lines)


def details(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r.fault}: killed {r.what or '-'}")
        for text, n in r.causes.most_common(4):
            lines.append(f"    {n:>5} × {text}")
        if r.old_served:
            lines.append(f"    ! {r.old_served} answers of an older release after the next "
                         f"deployment went live")
        if r.orphans:
            lines.append(f"    ! outside supervisord's tree: {', '.join(r.orphans[:8])}")
        if not r.status_ok and r.error is None:
            lines.append("    ! `dockyard status` did not show every part running")
        if r.error:
            lines.append(f"    ! {r.error}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2,
                        help="load threads per path, half keep-alive, half new connections")
    parser.add_argument("--only", nargs="*", choices=[f.key for f in FAULTS],
                        help="run only these faults (in the table's order)")
    parser.add_argument("--recover-timeout", type=float, default=120)
    args = parser.parse_args()
    faults = [f for f in FAULTS if not args.only or f.key in args.only]
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        inst = Installation(Path(tmp))
        print(f"{os.cpu_count()} CPUs, load average before: "
              f"{Path('/proc/loadavg').read_text().split()[0]}", flush=True)
        chaos: Chaos | None = None
        rows: list[Row] = []
        try:
            inst.cli("up")
            repo = inst.make_repo(APP, NAME, URL)
            spec = inst.root / "app.yaml"
            shutil.copy(APP / "app.yaml", spec)
            inst.cli("apps", "create", "--spec", str(spec), "--wait")
            chaos = Chaos(Target(inst.home, inst.env), repo, threads=args.threads,
                          max_seconds=3600, recover_timeout=args.recover_timeout).start()
            for fault in faults:
                started = time.perf_counter()
                rows.append(chaos.run(fault))
                print(f"  {fault.name}: {time.perf_counter() - started:.0f} s", flush=True)
        finally:
            if chaos:
                chaos.stop()
            load = Path("/proc/loadavg").read_text().split()[0]
            inst.down()
        print(f"load average after: {load}")
        print(table(rows))
        print(details(rows))
    sys.exit(0 if rows and all(r.ok for r in rows) else 1)


if __name__ == "__main__":
    main()
