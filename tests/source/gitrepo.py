"""Helpers to make real git repositories in tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

GIT_ID = ["-c", "user.name=Dockyard Tests", "-c", "user.email=tests@dockyard.invalid",
          "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    res = subprocess.run(["git", *GIT_ID, "-C", str(repo), *args], check=True,
                         capture_output=True, text=True)
    return res.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    """Write ``files`` (relative path → text) into ``repo``, commit them, return the sha."""
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_repo(path: Path, source: Path, *, ignore: tuple[str, ...] = ()) -> Path:
    """A git repository (branch main) holding a copy of the folder ``source``."""
    shutil.copytree(source, path, ignore=shutil.ignore_patterns(
        "db.sqlite3", "staticfiles", "__pycache__", "*.pyc", ".venv", *ignore))
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path
