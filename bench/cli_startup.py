"""Median wall time of `dockyard --help` and of `dockyard apps spec validate` (target < 300 ms).

Run: .venv/bin/python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
SPEC = str(ROOT / "examples" / "profileapp" / "config" / "app.yaml")
TARGET_MS = 300


def timed(argv: list[str], runs: int) -> list[float]:
    subprocess.run(argv, capture_output=True, check=True)  # warm the page cache and .pyc files
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    cases = {"dockyard --help": [DOCKYARD, "--help"],
             "dockyard apps spec validate app.yaml": [DOCKYARD, "apps", "spec", "validate", SPEC]}
    baseline = statistics.median(timed([sys.executable, "-c", "pass"], args.runs))
    print(f"{'command':<40} {'median ms':>10} {'p90 ms':>8} {'target':>8}")
    print(f"{'python -c pass (floor)':<40} {baseline:>10.0f}")
    for label, argv in cases.items():
        t = sorted(timed(argv, args.runs))
        med = statistics.median(t)
        p90 = t[int(len(t) * 0.9) - 1]
        verdict = "ok" if med < TARGET_MS else "SLOW"
        print(f"{label:<40} {med:>10.0f} {p90:>8.0f} {'<' + str(TARGET_MS):>7} {verdict}")


if __name__ == "__main__":
    main()
