"""What the runtime tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """A release's app folder holding ``version.txt`` (``v1``)."""
    app = tmp_path / "release" / "app"
    app.mkdir(parents=True)
    (app / "version.txt").write_text("v1\n")
    return app
