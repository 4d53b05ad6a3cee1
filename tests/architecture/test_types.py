"""``mypy --strict`` on the packages that promise it (the seams issue wants all of
``runtime/``; ``runtime/local`` joins when the lead's restructuring lands)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRICT = ["src/dockyard/runtime/__init__.py", "src/dockyard/runtime/kubernetes",
          "src/dockyard/buildpacks/images.py"]


def test_strictly_typed_packages_pass_mypy_strict() -> None:
    cache = Path(tempfile.gettempdir()) / f"dockyard-mypy-{os.getuid()}"
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache),
                           *STRICT], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
