"""What the push watcher asks git (``remote_head``), and mirrors kept apart per URL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import commit, git

from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.source import fetch, mirror_path, remote_head, source_ref


def test_remote_head_is_the_branchs_newest_commit(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo()
    ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "main"})
    assert remote_head(ref) == git(repo, "rev-parse", "HEAD")
    sha = commit(repo, {"a.txt": "new\n"})
    assert remote_head(ref) == sha


def test_remote_head_of_a_missing_branch_or_repository_is_none(make_repo,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo()
    assert remote_head(source_ref("git", {"repo_clone_url": str(repo),
                                          "branch": "prod"})) is None
    assert remote_head(source_ref("git", {"repo_clone_url": str(tmp_path / "nothing"),
                                          "branch": "main"})) is None


def test_each_url_gets_its_own_mirror_named_after_the_repository(home: Home) -> None:
    one = mirror_path(home, "app1", source_ref("github", {"repo": "acme/site"}))
    two = mirror_path(home, "app1", source_ref("github", {"repo": "other/site"}))
    assert one != two and one.parent == two.parent == home.repo("app1")
    assert one.name.startswith("site-") and one.name.endswith(".git")


def test_an_empty_repository_says_to_push_a_commit(tmp_path: Path, home: Home,
                                                   log: Log) -> None:
    empty = tmp_path / "empty"
    subprocess.run(["git", "init", "-q", "--bare", str(empty)], check=True)
    with pytest.raises(DockyardError) as err:
        fetch(home, "app1", source_ref("git", {"repo_clone_url": str(empty)}), log)
    assert err.value.code == "source.branch_missing"
    assert "has no branches (the repository is empty)" in err.value.message
