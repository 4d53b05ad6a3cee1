"""Deploy on push: the watcher's poll against a real git repository (GitHub URLs mapped to it
with ``url.insteadOf``), and GitHub's signed push webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockyard.deploy.platform import Platform
from dockyard.deploy.push import PushWatcher, check_app, github_push, pushed_sources
from dockyard.errors import DockyardError
from dockyard.store import App
from tests.conftest import wait_for
from tests.deploy.conftest import Deployer, tiny_spec
from tests.source.gitrepo import git

GITHUB = {"repo": "example/tiny", "branch": "main", "deploy_on_push": True}


@pytest.fixture
def github(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """git resolves https://github.com/example/tiny.git to the local ``repo``."""
    config = tmp_path / "gitconfig"
    subprocess.run(["git", "config", "--file", str(config), f"url.{repo}.insteadOf",
                    "https://github.com/example/tiny.git"], check=True)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return repo


def pushed_app(deployer: Deployer, platform: Platform, phase: str = "ACTIVE",
               **github: Any) -> App:
    """An app deploying ``example/tiny`` on push, with a deployment of today's head."""
    spec = tiny_spec(deployer.repo)
    del spec["services"][0]["git"]
    spec["services"][0]["github"] = {**GITHUB, **github}
    app = deployer.create(spec)
    dep = deployer.queue(app)
    record = deployer.release(dep)
    record.commit = git(deployer.repo, "rev-parse", "HEAD")
    deployer.store.update_deployment(dep, components=[record.to_dict()])
    deployer.store.set_phase(dep, phase)
    return app


def queued(platform: Platform, app: App) -> list[tuple[str, str]]:
    return [(d.cause, d.cause_type) for d in platform.store.list_deployments(app.id)
            if d.phase == "PENDING_BUILD"]


def test_only_sources_with_deploy_on_push_are_watched():
    spec = {"services": [{"name": "web", "github": GITHUB}],
            "workers": [{"name": "queue", "github": {**GITHUB, "deploy_on_push": False}}],
            "static_sites": [{"name": "docs", "gitlab": {"repo": "g/docs",
                                                         "deploy_on_push": True}}],
            "jobs": [{"name": "migrate", "git": {"repo_clone_url": "/x"}}]}
    assert [(n, k) for n, k, _s in pushed_sources(spec)] == [("web", "github"),
                                                            ("docs", "gitlab")]


def test_a_new_commit_on_the_watched_branch_is_deployed(deployer: Deployer,
                                                        platform: Platform, github: Path):
    app = pushed_app(deployer, platform)
    sha = deployer.commit({"version.txt": "v2\n"})
    cause = check_app(platform, app)
    assert cause == f"commit {sha[:7]} pushed to github/example/tiny"
    assert queued(platform, app) == [(cause, "DEPLOY_ON_PUSH")]


def test_an_unchanged_branch_deploys_nothing(deployer: Deployer, platform: Platform,
                                            github: Path):
    app = pushed_app(deployer, platform)
    assert check_app(platform, app) is None and queued(platform, app) == []


def test_a_commit_on_another_branch_deploys_nothing(deployer: Deployer, platform: Platform,
                                                   github: Path):
    app = pushed_app(deployer, platform)
    git(github, "checkout", "-q", "-b", "feature")
    deployer.commit({"version.txt": "feature\n"})
    assert check_app(platform, app) is None and queued(platform, app) == []


def test_a_pinned_app_is_not_deployed_on_push(deployer: Deployer, platform: Platform,
                                              github: Path):
    app = pushed_app(deployer, platform)
    platform.store.set_pin(app.id, "rollback")
    deployer.commit({"version.txt": "v2\n"})
    assert check_app(platform, platform.store.get_app(app.id)) is None
    assert queued(platform, app) == []


def test_nothing_is_added_while_a_deployment_is_queued(deployer: Deployer,
                                                       platform: Platform, github: Path):
    app = pushed_app(deployer, platform, phase="PENDING_BUILD")
    deployer.commit({"version.txt": "v2\n"})
    assert check_app(platform, app) is None
    assert len(platform.store.list_deployments(app.id)) == 1


def test_the_watcher_polls_every_interval_until_stopped(deployer: Deployer,
                                                        platform: Platform, github: Path):
    app = pushed_app(deployer, platform)
    watcher = PushWatcher(platform, 0.05)
    watcher.start()
    try:
        sha = deployer.commit({"version.txt": "v2\n"})
        wait_for(lambda: queued(platform, app), f"commit {sha[:7]} to be queued")
    finally:
        watcher.stop()
        watcher.thread.join(5)
    assert not watcher.thread.is_alive()
    assert queued(platform, app)[0][0].startswith(f"commit {sha[:7]} pushed")


def test_an_interval_of_zero_turns_the_watcher_off(platform: Platform):
    watcher = PushWatcher(platform, 0)
    watcher.start()
    assert not watcher.thread.is_alive()


def push(sha: str, branch: str = "main", repo: str = "example/tiny") -> bytes:
    return json.dumps({"ref": f"refs/heads/{branch}", "after": sha, "deleted": False,
                       "repository": {"full_name": repo}, "pusher": {"name": "octocat"},
                       "head_commit": {"message": "change"}}).encode()


def signed(platform: Platform, app: App, body: bytes) -> str:
    secret = platform.webhook_secret(app).encode()
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def test_a_signed_push_deploys_the_app(deployer: Deployer, platform: Platform):
    app = pushed_app(deployer, platform)
    body = push("a" * 40)
    result = github_push(platform, body, "push", signed(platform, app, body))
    [dep] = [d for d in platform.store.list_deployments(app.id) if d.phase == "PENDING_BUILD"]
    assert result["deployments"] == [{"app": "tiny", "deployment_id": dep.id}]
    assert dep.cause == "commit aaaaaaa pushed to github/example/tiny"


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "md5=abc"])
def test_a_push_without_the_apps_signature_is_refused_and_deploys_nothing(
        deployer: Deployer, platform: Platform, signature: str | None):
    app = pushed_app(deployer, platform)
    with pytest.raises(DockyardError) as err:
        github_push(platform, push("b" * 40), "push", signature)
    assert (err.value.status, err.value.code) == (401, "unauthorized")
    assert queued(platform, app) == []


def test_a_signed_push_to_another_branch_or_a_pinned_app_deploys_nothing(
        deployer: Deployer, platform: Platform):
    app = pushed_app(deployer, platform)
    body = push("c" * 40, branch="feature")
    assert github_push(platform, body, "push", signed(platform, app, body))["deployments"] == []
    platform.store.set_pin(app.id, "rollback")
    body = push("d" * 40)
    assert github_push(platform, body, "push", signed(platform, app, body))["deployments"] == []
    assert queued(platform, app) == []


def test_a_ping_is_ignored(deployer: Deployer, platform: Platform):
    app = pushed_app(deployer, platform)
    body = b'{"zen": "Keep it logically awesome."}'
    result = github_push(platform, body, "ping", signed(platform, app, body))
    assert result == {"status": "ignored", "reason": "event 'ping' is not a push"}
