"""source_ref mapping and fetch against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitrepo import commit, git

from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.source import SourceRef, fetch, mirror_path, source_ref

# proc.run leaves the child's stdout pipe to the GC (ResourceWarning on an fd, not a path).
# Reported to the lead; drop this filter once proc.run closes proc.stdout.

@pytest.mark.parametrize(("kind", "fields", "url", "label"), [
    ("github", {"repo": "acme/site", "branch": "prod"},
     "https://github.com/acme/site.git", "github/acme/site"),
    ("gitlab", {"repo": "group/sub/app"}, "https://gitlab.com/group/sub/app.git",
     "gitlab/group/sub/app"),
    ("bitbucket", {"repo": "team/app.git"}, "https://bitbucket.org/team/app.git",
     "bitbucket/team/app"),
    ("git", {"repo_clone_url": "https://example.com/x/y.git"}, "https://example.com/x/y.git",
     "git https://example.com/x/y.git"),
    ("git", {"repo_clone_url": "file:///srv/repos/app.git"}, "file:///srv/repos/app.git",
     "git file:///srv/repos/app.git"),
    ("git", {"repo_clone_url": "git@example.com:x/y.git"}, "git@example.com:x/y.git",
     "git git@example.com:x/y.git"),
])
def test_source_ref_maps_each_kind_to_a_clone_url(kind: str, fields: dict[str, str], url: str,
                                                  label: str) -> None:
    ref = source_ref(kind, fields)
    assert (ref.url, ref.label) == (url, label)
    assert ref.branch == fields.get("branch", "main")
    assert ref.branch_explicit is ("branch" in fields)


def test_source_ref_makes_local_paths_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              make_repo) -> None:
    repo = make_repo("local")
    monkeypatch.chdir(tmp_path)
    ref = source_ref("git", {"repo_clone_url": "local", "branch": "main"})
    assert ref.url == str(repo.resolve())


def test_source_ref_hides_credentials_in_the_label() -> None:
    ref = source_ref("git", {"repo_clone_url": "https://bot:s3cret@example.com/x.git"})
    assert ref.label == "git https://example.com/x.git"
    assert "s3cret" in ref.url


@pytest.mark.parametrize(("kind", "fields", "code"), [
    ("github", {"repo": "just-a-name"}, "source.repo_invalid"),
    ("github", {"repo": "a/b/c"}, "source.repo_invalid"),
    ("gitlab", {}, "source.repo_invalid"),
    ("git", {"repo_clone_url": " "}, "source.repo_invalid"),
    ("image", {"repository": "nginx"}, "source.kind_unsupported"),
])
def test_source_ref_rejects_bad_sources_with_a_code(kind: str, fields: dict[str, str],
                                                    code: str) -> None:
    with pytest.raises(DockyardError) as err:
        source_ref(kind, fields)
    assert err.value.code == code


def test_fetch_returns_branch_head_and_keeps_one_bare_mirror(make_repo, home: Home,
                                                             log: Log) -> None:
    repo = make_repo()
    ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "main"})
    sha = fetch(home, "app1", ref, log)
    assert sha == git(repo, "rev-parse", "HEAD")
    mirror = mirror_path(home, "app1", ref)
    assert mirror.parent == home.repo("app1")
    assert (mirror / "HEAD").is_file() and not (mirror / ".git").exists()
    assert git(mirror, "rev-parse", "--is-bare-repository") == "true"


def test_incremental_fetch_picks_up_a_new_commit(make_repo, home: Home, log: Log) -> None:
    repo = make_repo()
    ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "main"})
    first = fetch(home, "app1", ref, log)
    second_commit = commit(repo, {"app.py": "print('v2')\n"}, "v2")
    second = fetch(home, "app1", ref, log)
    assert second == second_commit != first
    text = log.path.read_text()
    assert text.count("-----> Cloning") == 1 and "-----> Fetching" in text


def test_fetch_of_a_missing_branch_lists_the_branches_that_exist(make_repo, home: Home,
                                                                 log: Log) -> None:
    repo = make_repo()
    git(repo, "branch", "staging")
    ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "prod"})
    with pytest.raises(DockyardError) as err:
        fetch(home, "app1", ref, log)
    assert err.value.code == "source.branch_missing"
    assert "'prod'" in err.value.message and "main, staging" in err.value.message


def test_unset_branch_follows_remote_head_when_there_is_no_main(make_repo, home: Home,
                                                                log: Log) -> None:
    repo = make_repo(branch="master")
    sha = fetch(home, "app1", source_ref("git", {"repo_clone_url": str(repo)}), log)
    assert sha == git(repo, "rev-parse", "HEAD")
    assert "using its default branch 'master'" in log.path.read_text()


def test_explicit_main_is_not_replaced_by_the_remote_head(make_repo, home: Home,
                                                          log: Log) -> None:
    repo = make_repo(branch="master")
    ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "main"})
    with pytest.raises(DockyardError) as err:
        fetch(home, "app1", ref, log)
    assert err.value.code == "source.branch_missing" and "master" in err.value.message


def test_github_source_honours_the_users_insteadof_rule(tmp_path: Path, make_repo, home: Home,
                                                       log: Log,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    work = make_repo("work")
    hosted = tmp_path / "gh" / "acme" / "site.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(hosted)], check=True)
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "{tmp_path / "gh"}/"]\n\tinsteadOf = https://github.com/\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    ref = source_ref("github", {"repo": "acme/site", "branch": "main"})
    assert fetch(home, "app1", ref, log) == git(work, "rev-parse", "HEAD")


def test_failed_clone_names_the_source_and_leaves_no_mirror(tmp_path: Path, home: Home,
                                                            log: Log) -> None:
    ref = SourceRef(str(tmp_path / "nowhere.git"), "main", "github/acme/nowhere")
    with pytest.raises(CommandFailed) as err:
        fetch(home, "app1", ref, log)
    assert err.value.code == "source.fetch_failed"
    assert "github/acme/nowhere" in err.value.message and err.value.hint
    assert not mirror_path(home, "app1", ref).exists()
    assert not list(home.repo("app1").glob(".clone-*"))


def test_password_in_a_clone_url_never_reaches_the_log(tmp_path: Path, home: Home) -> None:
    log = Log(tmp_path / "fetch.log")
    ref = source_ref("git", {"repo_clone_url": "http://bot:hunter2secret@127.0.0.1:9/x.git"})
    with pytest.raises(CommandFailed):
        fetch(home, "app1", ref, log)
    log.close()
    assert "hunter2secret" not in log.path.read_text()
