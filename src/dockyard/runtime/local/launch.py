"""Instance launcher: ``python -m dockyard.runtime.local.launch LAUNCH.json``.

supervisord runs this for every instance. It reads the instance's launch file (command,
environment, working directory), then replaces itself with ``bash -c`` running the spec's
``run_command`` unchanged, as App Platform's buildpack launcher does: every line runs even
when an earlier one fails, and an ``ERR`` trap reports each failing line with its status.
Keeping the environment out of supervisord's config keeps it out of ``ps`` and config files.

Crash loops back off exponentially: a start less than ``STABLE_SECONDS`` after the previous
one waits 0.5 s, 1 s, 2 s … (at most 60 s) first. Every start is recorded in
``restarts.json`` beside the launch file, which the restart watcher reads for RESTART_COUNT.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ERR_TRAP = ('trap \'echo "dockyard: command failed with exit status $?: $BASH_COMMAND" >&2\' '
            "ERR\n")
STABLE_SECONDS = 30.0
MAX_DELAY = 60.0
KEEP_STARTS = 200


def script(command: str) -> str:
    return ERR_TRAP + command


def backoff_delay(starts: list[float], now: float) -> float:
    """0 for a first or stable start, else 0.5 × 2^(quick restarts − 1), capped."""
    times = [*starts, now]
    quick = 0
    for i in range(len(times) - 1, 0, -1):
        if times[i] - times[i - 1] >= STABLE_SECONDS:
            break
        quick += 1
    return min(MAX_DELAY, 0.5 * 2 ** (quick - 1)) if quick else 0.0


def record_start(state_file: Path) -> None:
    try:
        starts = json.loads(state_file.read_text()).get("starts", [])
    except (OSError, ValueError):
        starts = []
    delay = backoff_delay(starts, time.time())
    if delay:
        sys.stderr.write(f"dockyard: restart {len(starts)} within {STABLE_SECONDS:.0f} s of the "
                         f"previous start; waiting {delay:.1f} s (crash backoff)\n")
        time.sleep(delay)
    starts = (starts + [time.time()])[-KEEP_STARTS:]
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"starts": starts, "count": len(starts)}))
    os.replace(tmp, state_file)


def restarts(state_file: Path, since: float = 0.0) -> int:
    """How many times the instance was restarted (starts after the first) since ``since``."""
    try:
        starts = json.loads(state_file.read_text()).get("starts", [])
    except (OSError, ValueError):
        return 0
    return max(0, len(starts) - 1) if not since else sum(1 for t in starts[1:] if t >= since)


def run_masked(argv: list[str], env: dict[str, str], masks: list[str]) -> int:
    """Run ``argv`` with its output passed through, secrets replaced by ``***``.

    The run log is written by supervisord from our stdout, so this is the last place a
    secret a program prints can be caught. Signals are forwarded to the child.
    """
    import signal
    import subprocess

    needles = sorted({m.encode() for m in masks if len(m) >= 3}, key=len, reverse=True)
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, lambda n, _f: proc.send_signal(n))
    out = sys.stdout.buffer
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, b""):
        for needle in needles:
            line = line.replace(needle, b"***")
        out.write(line)
        out.flush()
    return proc.wait()


def main(argv: list[str]) -> None:
    launch = Path(argv[1])
    spec = json.loads(launch.read_text(encoding="utf-8"))
    env = dict(spec["env"])
    masks: list[str] = []
    if spec.get("encrypted") or spec.get("masks"):
        from dockyard.release.secrets import decrypt_env

        env = decrypt_env(env, spec.get("encrypted", []))
        hidden = {f"m{i}": v for i, v in enumerate(spec.get("masks", []))}
        masks = list(decrypt_env(hidden, list(hidden)).values())
    if spec.get("record_starts", True):
        record_start(launch.with_name("restarts.json"))
    os.chdir(spec["cwd"])
    command = ["bash", "-c", script(spec["command"]), *argv[2:]]
    if not masks:
        os.execvpe("bash", command, env)
    sys.exit(run_masked(command, env, masks))


if __name__ == "__main__":
    main(sys.argv)
