"""Instance launcher: ``python -m dockyard.runtime.local.launch LAUNCH.json``.

supervisord runs this (as root) for every instance; the deploy worker runs it for jobs and
the CLI for consoles. In order, it:

1. reads the 0600 launch file and decrypts the environment (the app never needs, or sees,
   ``secrets.key``);
2. records the start and backs off when the instance crash-loops (0.5 s, 1 s, 2 s … 60 s);
3. moves itself into the instance's cgroup, with the limits of its ``instance_size_slug``,
   after stopping whatever a killed predecessor left in it;
4. gives the instance its writable view of the release: an overlay mount in a private mount
   namespace (or, where overlays cannot be mounted, a copy);
5. runs ``run_command`` through ``bash -c`` as App Platform's launcher does — every line
   runs, each failing line is reported with its status — inside the sandbox as the app's user
   (``isolation.sandbox``), with its output passed through a filter that replaces secrets
   with ``***`` before supervisord writes the run log;
6. waits until every process of the instance has ended (so supervisord's grace period and
   SIGKILL cover them all), and says so in the run log when the kernel killed it at its
   memory limit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from dockyard.files import UnsafePath
from dockyard.isolation import cgroups
from dockyard.runtime.local.launchfile import LaunchFile

STABLE_SECONDS = 30.0
MAX_DELAY = 60.0
KEEP_STARTS = 200
DRAIN_POLL = 0.1


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


def pump(source: IO[bytes], masks: list[str]) -> None:
    """Copy the child's output to ours line by line, secrets replaced by ``***``."""
    needles = sorted({m.encode() for m in masks if len(m) >= 3}, key=len, reverse=True)
    out = sys.stdout.buffer
    for line in iter(source.readline, b""):
        for needle in needles:
            line = line.replace(needle, b"***")
        out.write(line)
        out.flush()


def run(launch: LaunchFile, argv: list[str], env: dict[str, str], *,
        group: cgroups.Group | None = None, pass_fds: tuple[int, ...] = ()) -> int:
    """Run the child; return its status once it and everything it started have ended.

    supervisord stops a program by signalling its whole process group, which reaches the
    app's processes directly; this process only waits (forwarding would signal twice).
    """
    masked = bool(launch.masks)
    if not launch.interactive:
        signal.signal(signal.SIGTERM, lambda *_: None)
    else:
        for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
            signal.signal(sig, signal.SIG_IGN)
    proc = subprocess.Popen(argv, env=env, cwd=launch.host_cwd, pass_fds=pass_fds,
                            preexec_fn=lambda: launch.child_setup(group),
                            stdin=None if launch.interactive else subprocess.DEVNULL,
                            stdout=subprocess.PIPE if masked else None,
                            stderr=subprocess.STDOUT if masked else None)
    if masked:
        assert proc.stdout is not None
        pump(proc.stdout, launch.secret_masks)
    code = proc.wait()
    launch.wait_until_empty(DRAIN_POLL, group)
    return code


def main(argv: list[str]) -> None:
    launch = LaunchFile.read(Path(argv[1]))
    if launch.record_starts:
        record_start(launch.path.with_name("restarts.json"))
    group = launch.enter_cgroup()
    oom_before = launch.oom_kills(group)
    try:
        launch.prepare_files()
        command, env, fds = launch.command_line()
    except UnsafePath as exc:
        sys.stderr.write(f"dockyard: refusing to start: {exc.strerror}\n")
        sys.exit(126)
    code = run(launch, command, env, group=group, pass_fds=fds)
    launch.report_oom(group, oom_before)
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv)
