"""The instance launcher: crash backoff, restart counting, and secrets masked in run logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dockyard.runtime.local.launch import MAX_DELAY, backoff_delay, restarts
from dockyard.runtime.local.launchfile import LaunchFile


def test_backoff_doubles_for_quick_restarts_and_resets_after_a_stable_run():
    assert backoff_delay([], 100) == 0
    assert backoff_delay([10], 100) == 0            # the last start ran for 90 s: stable
    assert backoff_delay([95], 100) == 0.5
    assert backoff_delay([90, 95], 100) == 1.0
    assert backoff_delay([80, 90, 95], 100) == 2.0
    assert backoff_delay([10, 80, 90, 95], 100) == 2.0  # the 70 s gap ends the streak
    assert backoff_delay([float(t) for t in range(50, 100)], 100) == MAX_DELAY


def test_restarts_counts_starts_after_the_first(tmp_path: Path):
    state = tmp_path / "restarts.json"
    assert restarts(state) == 0
    state.write_text(json.dumps({"starts": [1.0, 2.0, 3.0]}))
    assert restarts(state) == 2 and restarts(state, since=2.5) == 1


def test_every_line_runs_and_failures_are_reported_and_secrets_masked(tmp_path: Path):
    from dockyard.release.secrets import SecretBox

    box = SecretBox(tmp_path / "secrets.key")
    (tmp_path / "release").mkdir()
    (tmp_path / "instance").mkdir()
    launch = LaunchFile(
        path=tmp_path / "instance" / "launch.json",
        command="echo one\nfalse\necho the token is $TOKEN\nexit 0",
        env={"PATH": "/usr/bin:/bin", "TOKEN": box.encrypt("hunter2-secret")},
        release=str(tmp_path / "release"), instance=str(tmp_path / "instance"),
        encrypted=["TOKEN"], masks=[box.encrypt("hunter2-secret")], record_starts=False)
    launch.write()
    out = subprocess.run([sys.executable, "-m", "dockyard.runtime.local.launch",
                          str(launch.path)],
                         capture_output=True, text=True,
                         env={**os.environ, "DOCKYARD_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert "one" in out.stdout and "the token is ***" in out.stdout
    assert "hunter2-secret" not in out.stdout + out.stderr
    assert "command failed with exit status 1: false" in out.stdout
