"""Deploy on push (watcher and signed webhook), and the API server killed mid-deploy."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.e2e.conftest import Platform, commit, get, git, make_repo, new_platform, stop
from tests.e2e.load import LoadLoop

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"
# The health gate is not what these tests are about: a loaded machine may start gunicorn in
# its sandbox more slowly than zero_downtime's 4 s budget allows.
SLOW_START = "failure_threshold: 30"


@pytest.fixture(scope="module")
def pushy(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A Dockyard whose watcher polls every second, with the small app on deploy_on_push."""
    root = tmp_path_factory.mktemp("push")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="1")
    repo = make_repo(root / "pushy", APP)
    platform.map_url("https://github.com/example/pushy.git", repo)
    spec = root / "app.yaml"
    spec.write_text((APP / "app.yaml").read_text()
                    .replace("failure_threshold: 4", SLOW_START)
                    .replace("name: zerodown", "name: pushy")
                    .replace("repo: example/zerodown\n      branch: main",
                             "repo: example/pushy\n      branch: main\n"
                             "      deploy_on_push: true"))
    platform.cli("up")
    platform.deploy_spec(spec)
    yield platform, repo, spec
    stop(platform)


def deployments(platform: Platform, app: str = "pushy") -> list[dict]:
    return platform.cli("apps", "list-deployments", app, "-o", "json").json()


def wait_active_commit(platform: Platform, sha: str, timeout: float = 120,
                       app: str = "pushy") -> dict:
    def live() -> dict | None:
        return next((d for d in deployments(platform, app) if d["phase"] == "ACTIVE"
                     and d["services"][0]["source_commit_hash"] == sha), None)

    return wait_for(live, f"commit {sha[:7]} of {app} to go live", timeout, interval=0.5)


def phase(platform: Platform, app: str, dep_id: str) -> str:
    return platform.cli("apps", "get-deployment", app, dep_id, "-o", "json").json()[0]["phase"]


class Polls:
    """Counts the push watcher's polls of a repository, as git itself reports them.

    git's trace2 (set in the platform's global git config, which the watcher's ``git
    ls-remote`` reads) appends one ``start`` event per git process to a file. The watcher
    polls one app after another in one thread, so once two polls have started after some
    moment, the first of them has finished: whatever it decided is in the store.
    """

    def __init__(self, platform: Platform, repo_url: str, trace: Path) -> None:
        self.platform, self.repo_url, self.trace = platform, repo_url, trace
        subprocess.run(["git", "config", "--file", str(platform.gitconfig),
                        "trace2.eventTarget", str(trace)], check=True)

    def count(self) -> int:
        if not self.trace.exists():
            return 0
        events = [json.loads(line) for line in self.trace.read_text().splitlines()
                  if '"event":"start"' in line]
        return sum(1 for e in events
                   if e["argv"][1:2] == ["ls-remote"] and self.repo_url in e["argv"])

    def wait_completed(self) -> None:
        """Until a poll that started after this call has finished."""
        start = self.count()
        wait_for(lambda: self.count() >= start + 2, f"two polls of {self.repo_url}", 60)


def test_watcher_deploys_a_pushed_commit(pushy):  # type: ignore[no-untyped-def]
    platform, repo, _spec = pushy
    sha = commit(repo, {"version.txt": "pushed-by-watcher\n"})
    dep = wait_active_commit(platform, sha)
    assert dep["cause"].startswith(f"commit {sha[:7]} pushed to github/example/pushy")
    assert get(platform.app("pushy")["live_url"])[1].startswith(b"version=pushed-by-watcher")


def test_push_to_another_branch_is_ignored_while_the_watched_branch_deploys(pushy, tmp_path):  # type: ignore[no-untyped-def]
    platform, repo, _spec = pushy
    polls = Polls(platform, "https://github.com/example/pushy.git", tmp_path / "trace.json")
    before = [d["id"] for d in deployments(platform)]
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"version.txt": "feature-branch\n"})
    git(repo, "checkout", "-q", "main")
    polls.wait_completed()
    assert [d["id"] for d in deployments(platform)] == before  # a whole poll saw it: nothing
    sha = commit(repo, {"version.txt": "main-after-feature\n"})  # the watcher is alive:
    dep = wait_active_commit(platform, sha)  # a push to the watched branch does deploy
    assert [d["id"] for d in deployments(platform)] == [dep["id"], *before]
    polls.wait_completed()
    assert [d["id"] for d in deployments(platform)] == [dep["id"], *before]  # no change: none


def test_a_failing_commit_is_deployed_once_not_every_poll(pushy, tmp_path):  # type: ignore[no-untyped-def]
    """Issue 10, defect 7: the watcher tried a failing commit again on every poll."""
    platform, repo, _spec = pushy
    polls = Polls(platform, "https://github.com/example/pushy.git", tmp_path / "trace.json")
    good_requirements = (repo / "requirements.txt").read_text()
    bad = commit(repo, {"requirements.txt": "this is ((not a requirement\n"}, "break the build")

    def tries() -> list[dict]:
        return [d for d in deployments(platform) if d["cause"].startswith(f"commit {bad[:7]}")]

    wait_for(lambda: any(d["phase"] == "ERROR" for d in tries()),
             "the failing commit's deployment to fail", 120, interval=0.5)
    for _ in range(3):  # three whole polls after the failure saw the same head
        polls.wait_completed()
    assert [d["phase"] for d in tries()] == ["ERROR"]
    fixed = commit(repo, {"requirements.txt": good_requirements, "version.txt": "fixed\n"})
    wait_active_commit(platform, fixed)
    assert [d["phase"] for d in tries()] == ["ERROR"]


def push_body(repo: Path, sha: str, branch: str = "main") -> bytes:
    return json.dumps({"ref": f"refs/heads/{branch}", "after": sha, "deleted": False,
                       "repository": {"full_name": "example/pushy"},
                       "pusher": {"name": "octocat"},
                       "head_commit": {"message": "change"}}).encode()


def test_signed_webhook_deploys_and_bad_signatures_do_not(pushy):  # type: ignore[no-untyped-def]
    platform, repo, _spec = pushy
    app = platform.app("pushy")
    secret = app["dockyard"]["webhook"]["secret"]
    body = push_body(repo, git(repo, "rev-parse", "HEAD"))
    before = len(deployments(platform))
    for signature in (None, "sha256=" + "0" * 64,
                      "sha256=" + hmac.new(b"wrong", body, hashlib.sha256).hexdigest()):
        resp = platform_post(platform, body, signature)
        assert resp.status == 401, resp.body
    assert len(deployments(platform)) == before
    good = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    resp = platform_post(platform, body, good)
    assert resp.status == 200 and resp.body["deployments"][0]["app"] == "pushy"
    assert len(deployments(platform)) == before + 1


def platform_post(platform: Platform, body: bytes, signature: str | None):  # type: ignore[no-untyped-def]
    import ssl
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
    if signature:
        headers["X-Hub-Signature-256"] = signature
    req = urllib.request.Request(platform.api_url + "/v2/webhooks/github", data=body,
                                 headers=headers, method="POST")
    ctx = ssl.create_default_context(cafile=str(platform.home / "tls" / "ca.pem"))
    from tests.conftest import Response

    try:
        with urllib.request.urlopen(req, context=ctx) as resp:
            return Response(resp.status, json.loads(resp.read()), {})
    except urllib.error.HTTPError as err:
        return Response(err.code, json.loads(err.read()), {})


@pytest.fixture(scope="module")
def killy(platform: Platform, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The small app on the shared Dockyard (no push watcher there)."""
    root = tmp_path_factory.mktemp("killy")
    repo = make_repo(root / "killy", APP)
    platform.map_url("https://github.com/example/killy.git", repo)
    spec = root / "app.yaml"
    spec.write_text((APP / "app.yaml").read_text().replace("zerodown", "killy")
                    .replace("failure_threshold: 4", SLOW_START))
    platform.deploy_spec(spec)
    return platform, repo


def test_killing_the_api_server_mid_deploy_keeps_the_app_serving(killy):  # type: ignore[no-untyped-def]
    platform, repo = killy
    url = platform.app("killy")["live_url"]
    loop = LoadLoop(int(url.rsplit(":", 1)[1]), keepalive_threads=1, fresh_threads=1).start()
    try:
        commit(repo, {"version.txt": "interrupted\n", "requirements.txt":
                      "gunicorn>=22\nsix\n"})  # a new environment: the build takes a moment
        dep = platform.cli("apps", "create-deployment", "killy", "-o", "json").json()[0]
        wait_for(lambda: phase(platform, "killy", dep["id"]) != "PENDING_BUILD",
                 "the deployment to start", 60, interval=0.05)
        api_pid = platform.status["processes"]["dockyard-api"]["pid"]
        os.kill(api_pid, signal.SIGKILL)
        wait_for(lambda: new_api_server(platform, api_pid), "supervisord to restart the API")
        platform.cli("up")
        # finished by its worker, or marked ERROR by the restarted server
        wait_for(lambda: phase(platform, "killy", dep["id"]) in ("ERROR", "ACTIVE"),
                 f"deployment {dep['id']} to be resolved", 120, interval=0.2)
        resolved = platform.cli("apps", "get-deployment", "killy", dep["id"], "-o",
                                "json").json()[0]
        if resolved["phase"] == "ERROR":
            assert "interrupted" in resolved["error"]["message"]
        sha = commit(repo, {"version.txt": "after-restart\n"})
        result = platform.cli("apps", "create-deployment", "killy", "--wait", check=False)
        assert result.code == 0, result.err
        wait_active_commit(platform, sha, app="killy")
    finally:
        loop.stop()
    assert loop.failures == [], loop.failures[:5]
    assert get(url)[1].startswith(b"version=after-restart")


def new_api_server(platform: Platform, killed: int) -> bool:
    api = platform.status["processes"]["dockyard-api"]
    return api["pid"] != killed and api["state"] == "RUNNING"


def test_deployments_that_pile_up_coalesce_into_the_newest(killy):  # type: ignore[no-untyped-def]
    platform, repo = killy
    ids = []
    for n in range(3):
        commit(repo, {"version.txt": f"pile-{n}\n"})
        ids.append(platform.cli("apps", "create-deployment", "killy", "-o",
                                "json").json()[0]["id"])

    def ended() -> dict[str, str] | None:
        phases = {d["id"]: d["phase"] for d in deployments(platform, "killy")}
        done = all(phases[i] in ("ACTIVE", "SUPERSEDED", "ERROR", "CANCELED") for i in ids)
        return phases if done else None

    phases = wait_for(ended, "the three deployments to end", 120, interval=0.3)
    assert phases[ids[-1]] == "ACTIVE"
    assert phases[ids[1]] == "CANCELED"  # coalesced into the newest while the first ran
    assert get(platform.app("killy")["live_url"])[1].startswith(b"version=pile-2")


def worker_pid(dep_id: str) -> int | None:
    """The deploy worker of this deployment (its command line names the deployment id)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"dockyard.deploy.worker" in args and dep_id.encode() in args:
                return int(entry.name)
    return None


def test_a_deploy_worker_that_dies_ends_its_deployment_in_error(killy):  # type: ignore[no-untyped-def]
    platform, repo = killy
    url = platform.app("killy")["live_url"]
    before = get(url)[1]
    commit(repo, {"version.txt": "never-live\n", "requirements.txt": "gunicorn>=22\nsix\nidna\n"})
    dep = platform.cli("apps", "create-deployment", "killy", "-o", "json").json()[0]
    pid = wait_for(lambda: worker_pid(dep["id"]), "the deploy worker to appear", 60,
                   interval=0.02)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: phase(platform, "killy", dep["id"]) == "ERROR",
             "the deployment to end in ERROR", 60, interval=0.2)
    state = platform.cli("apps", "get-deployment", "killy", dep["id"], "-o", "json").json()[0]
    assert "worker exited" in state["error"]["message"]
    assert get(url)[1].split()[0] == before.split()[0]  # the same version still serves
