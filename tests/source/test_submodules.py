"""git submodules are exported with the commit, as DigitalOcean clones with --recursive."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import commit, git

from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.source import checkout, fetch, source_ref
from dockyard.source.submodules import resolve_url


def add_submodule(repo: Path, url: str, path: str) -> None:
    git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", url, path)
    git(repo, "commit", "-q", "-m", f"add submodule {path}")


def test_submodules_nested_and_relative_are_exported_at_their_recorded_commits(
        make_repo, home: Home, log: Log, tmp_path: Path) -> None:
    inner = make_repo("inner", {"VERSION": "inner 1\n"})
    lib = make_repo("lib", {"lib.py": "X = 1\n"})
    add_submodule(lib, str(inner), "vendor/inner")
    app = make_repo("app", {"app.py": "import lib\n"})
    add_submodule(app, "../lib", "lib")  # relative to the superproject's URL
    recorded = git(app, "rev-parse", "HEAD:lib")
    commit(lib, {"lib.py": "X = 2\n"}, "newer, not recorded")  # must not be exported
    ref = source_ref("git", {"repo_clone_url": str(app), "branch": "main"})
    sha = fetch(home, "app1", ref, log)
    src = checkout(home, "app1", ref, sha, tmp_path / "out", None, log)
    assert (src / "app.py").read_text() == "import lib\n"
    assert (src / "lib" / "lib.py").read_text() == "X = 1\n"
    assert (src / "lib" / "vendor" / "inner" / "VERSION").read_text() == "inner 1\n"
    assert not (src / "lib" / ".git").exists()
    text = log.path.read_text()
    assert f"Fetching submodule lib (../lib) at {recorded[:7]}" in text
    assert "Exported 2 submodule(s)" in text


def test_a_submodule_without_a_url_in_gitmodules_is_an_error_naming_its_path(
        make_repo, home: Home, log: Log, tmp_path: Path) -> None:
    lib = make_repo("lib")
    app = make_repo("app")
    add_submodule(app, str(lib), "lib")
    git(app, "rm", "-q", "--cached", ".gitmodules")
    git(app, "commit", "-q", "-m", "lose .gitmodules")
    ref = source_ref("git", {"repo_clone_url": str(app), "branch": "main"})
    sha = fetch(home, "app1", ref, log)
    with pytest.raises(DockyardError) as err:
        checkout(home, "app1", ref, sha, tmp_path / "out", None, log)
    assert err.value.code == "source.submodule_unknown" and "'lib'" in err.value.message
    assert not (tmp_path / "out").exists(), "a failed export leaves nothing behind"


@pytest.mark.parametrize(("url", "parent", "expected"), [
    ("../lib.git", "https://github.com/acme/app.git", "https://github.com/acme/lib.git"),
    ("./sub", "https://gitlab.com/g/app", "https://gitlab.com/g/app/sub"),
    ("../lib", "/srv/git/app", "/srv/git/lib"),
    ("git@github.com:acme/lib.git", "https://github.com/acme/app.git",
     "git@github.com:acme/lib.git"),
])
def test_relative_submodule_urls_resolve_against_the_superproject(url, parent, expected):
    assert resolve_url(url, parent) == expected
