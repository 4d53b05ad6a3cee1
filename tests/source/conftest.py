"""Real git repositories in tmp dirs for the source stage tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gitrepo import commit, git

from dockyard.logs import Log
from dockyard.paths import Home


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "origin", files: dict[str, str] | None = None,
             branch: str = "main") -> Path:
        repo = tmp_path / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", branch)
        commit(repo, files or {"README.md": "hello\n"}, "initial")
        return repo
    return make


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    log = Log(tmp_path / "build.log")
    yield log
    log.close()
