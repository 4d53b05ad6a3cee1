"""An instance's copy-on-write view of its release: an overlay in a private mount namespace.
Run in a child process (the namespace is the child's), as root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")

CHILD = """
import json, os, sys
from pathlib import Path
from dockyard.isolation import mounts
base = Path(sys.argv[1])
mounts.private_namespace()
merged = base / "merged"
mounts.overlay(base / "release", base / "upper", base / "work", merged)
seen = (merged / "app.py").read_text()
(merged / "app.py").write_text("changed")
(merged / "new.txt").write_text("new")
out = {"seen": seen, "mounted": os.path.ismount(merged)}
try:
    mounts.overlay(base / "missing", base / "u2", base / "w2", base / "m2")
except OSError as exc:
    out["error"] = str(exc)
print(json.dumps(out))
"""


def test_writes_go_to_the_upper_layer_and_the_mount_ends_with_its_process(tmp_path: Path):
    release = tmp_path / "release"
    release.mkdir()
    (release / "app.py").write_text("original")
    res = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True,
                         text=True, timeout=30)
    if "overlay" in res.stderr and "Invalid argument" in res.stderr:
        pytest.skip(f"no overlay on this filesystem: {res.stderr.strip()[-200:]}")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["seen"] == "original" and out["mounted"]
    assert (release / "app.py").read_text() == "original"       # the release is untouched
    assert (tmp_path / "upper" / "app.py").read_text() == "changed"
    assert (tmp_path / "upper" / "new.txt").read_text() == "new"
    assert not os.path.ismount(tmp_path / "merged")              # never seen out here
    assert list((tmp_path / "merged").iterdir()) == []
    assert out["error"].startswith(f"[Errno 2] mount overlay at {tmp_path / 'm2'}")
