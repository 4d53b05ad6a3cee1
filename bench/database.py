"""Median time to provision a new database for an app (a PostgreSQL database + role).

Run: .venv/bin/python bench/database.py [--apps N]

Starts Dockyard's PostgreSQL server (initdb once) in a temporary home exactly as a
deployment would run it, then provisions N new apps' databases one after the other, and
prints the median, min and max — and, side by side, the median of re-provisioning an
existing one (what every later deployment does). Stops everything by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dockyard.databases import PostgresServer  # noqa: E402
from dockyard.logs import Log  # noqa: E402
from dockyard.paths import Home  # noqa: E402
from dockyard.settings import free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-db-") as tmp:
        home = Home(Path(tmp) / "home").ensure()
        pg = PostgresServer(home, free_port())
        start = time.perf_counter()
        pg.ensure_initialized(Log())
        init = time.perf_counter() - start
        prog = pg.program()
        proc = subprocess.Popen(list(prog.argv), cwd=prog.cwd, env={**os.environ, **prog.env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            start = time.perf_counter()
            pg.wait_ready()
            ready = time.perf_counter() - start
            new, again = [], []
            for n in range(args.apps):
                app_id = str(uuid.uuid4())
                t = time.perf_counter()
                pg.provision(app_id, f"bench{n}", "db", db_name=None, db_user=None, version=None)
                new.append(time.perf_counter() - t)
                t = time.perf_counter()
                pg.provision(app_id, f"bench{n}", "db", db_name=None, db_user=None, version=None)
                again.append(time.perf_counter() - t)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            state = Path(home.root / "postgres" / "data")
            if state.is_symlink():
                shutil.rmtree(state.resolve().parent, ignore_errors=True)
    print(f"PostgreSQL {pg.version()}: initdb {init:.2f} s (once per installation), "
          f"server ready {ready:.2f} s")
    print(f"{'provision (ms)':<32}{'median':>8}{'min':>8}{'max':>8}")
    for label, times in (("new app database + role", new), ("existing (each deploy)", again)):
        ms = [t * 1000 for t in times]
        print(f"{label:<32}{statistics.median(ms):>8.0f}{min(ms):>8.0f}{max(ms):>8.0f}")


if __name__ == "__main__":
    main()
