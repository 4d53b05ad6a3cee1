"""Small repositories written into a test's tmp_path: a dict of relative path → text."""

from __future__ import annotations

from pathlib import Path


def repo(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` under ``root`` (a name ending in / is a folder) and return ``root``."""
    for rel, text in files.items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
