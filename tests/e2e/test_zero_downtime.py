"""Zero downtime under load: 10 deploys, 4 kinds of failure and a rollback drop nothing.

A bounded request loop (keep-alive and new connections) runs the whole time; the served
version changes exactly at the successful deploys and the rollback; alerts reach a real local
webhook receiver and a real local SMTP server with the right rule each time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.alerts.conftest import Receiver, receiving
from tests.conftest import wait_for
from tests.e2e.conftest import Platform, commit, get, make_repo, new_platform, stop
from tests.e2e.load import LoadLoop

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"
URL = "https://github.com/example/zerodown.git"


@pytest.fixture(scope="module")
def receivers():  # type: ignore[no-untyped-def]
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Collect(Sink):
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Collect.messages.append(envelope.content.decode(errors="replace"))
            return "250 OK"

    from dockyard.settings import free_port

    smtp_port = free_port()
    smtp = Controller(Collect(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    with receiving("/hook/secret-token") as hooks:
        yield hooks, smtp_port, Collect
    smtp.stop()


@pytest.fixture(scope="module")
def zd(tmp_path_factory, receivers):  # type: ignore[no-untyped-def]
    hooks, smtp_port, _ = receivers
    root = tmp_path_factory.mktemp("zd")
    platform = new_platform(root, DOCKYARD_SMTP_HOST="127.0.0.1",
                            DOCKYARD_SMTP_PORT=str(smtp_port), DOCKYARD_PUSH_POLL_SECONDS="0")
    repo = make_repo(root / "zerodown", APP)
    platform.map_url(URL, repo)
    platform.cli("up")
    spec = root / "app.yaml"
    shutil.copy(APP / "app.yaml", spec)
    platform.deploy_spec(spec)
    alerts = json.loads(platform.cli("apps", "list-alerts", "zerodown", "-o", "json").out)
    dest = root / "dest.json"
    dest.write_text(json.dumps({"emails": ["ops@example.invalid"], "slack_webhooks": [
        {"url": hooks.url, "channel": "#ops"}]}))
    for alert in alerts["alerts"]:
        platform.cli("apps", "update-alert-destinations", "zerodown", alert["id"],
                     "--app-alert-destinations", str(dest))
    yield platform, repo, spec
    stop(platform)


def deploy(platform: Platform, *, expect_ok: bool) -> None:
    result = platform.cli("apps", "create-deployment", "zerodown", "--wait", check=False)
    assert (result.code == 0) == expect_ok, result.err


def test_no_request_fails_through_deploys_failures_and_a_rollback(zd, receivers):  # type: ignore[no-untyped-def]
    platform, repo, spec = zd
    hooks, _smtp, mails = receivers
    url = platform.app("zerodown")["live_url"]
    port = int(url.rsplit(":", 1)[1])
    assert get(url, "/")[1].startswith(b"version=v0")
    loop = LoadLoop(port).start()
    expected, ids = ["v0"], {}
    try:
        for n in range(1, 11):
            commit(repo, {"version.txt": f"v{n}\n"}, f"v{n}")
            deploy(platform, expect_ok=True)
            expected.append(f"v{n}")
            ids[f"v{n}"] = platform.app("zerodown")["active_deployment"]["id"]
            assert get(url, "/")[1].startswith(f"version=v{n} ".encode())
        good = {name: (repo / name).read_text() for name in ("requirements.txt", "app.py")}
        # 1. a failed build
        commit(repo, {"version.txt": "broken-build\n", "requirements.txt":
                      good["requirements.txt"] + "this-package-does-not-exist-dockyard==9.9.9\n"})
        deploy(platform, expect_ok=False)
        commit(repo, {"version.txt": "v10\n", **good})
        # 2. a failing PRE_DEPLOY job (a spec update), then the spec restored (v10 again)
        job_spec = spec.parent / "job.yaml"
        job_spec.write_text(spec.read_text() + (
            "jobs:\n  - name: migrate\n    kind: PRE_DEPLOY\n    environment_slug: python\n"
            "    github:\n      repo: example/zerodown\n      branch: main\n"
            "    run_command: echo migrating; exit 3\n"))
        result = platform.cli("apps", "update", "zerodown", "--spec", str(job_spec), "--wait",
                              check=False)
        assert result.code != 0 and "PRE_DEPLOY job 'migrate' failed" in result.err
        platform.cli("apps", "update", "zerodown", "--spec", str(spec), "--wait")
        # 3. a release that never becomes healthy
        commit(repo, {"version.txt": "broken-health\n", "unhealthy": "1\n"})
        deploy(platform, expect_ok=False)
        (repo / "unhealthy").unlink()
        # 4. a crash-looping release
        commit(repo, {"version.txt": "broken-crash\n",
                      "app.py": "raise SystemExit('boom at import')\n"})
        deploy(platform, expect_ok=False)
        assert get(url, "/")[1].startswith(b"version=v10 ")
        # 5. a rollback to v9's release, without a rebuild
        result = platform.cli("apps", "rollback", "zerodown", ids["v9"], "--skip-pin", "--wait",
                              check=False)
        assert result.code == 0, result.err
        expected.append("v9")
        assert get(url, "/")[1].startswith(b"version=v9 ")
    finally:
        loop.stop()
    assert loop.failures == [], f"{len(loop.failures)} failed requests: {loop.failures[:5]}"
    assert len(loop.samples) > 500
    assert loop.versions() == expected or is_switch_jitter(loop.versions(), expected)
    for thread in {s.thread for s in loop.samples}:
        seen = loop.versions(thread)
        assert not any(v.startswith("broken") for v in seen), seen
        assert is_subsequence(seen, expected), (thread, seen)
    check_alerts(platform, hooks, mails)


def is_subsequence(seen: list[str], expected: list[str]) -> bool:
    it = iter(expected)
    return all(v in it for v in seen)


def is_switch_jitter(seen: list[str], expected: list[str]) -> bool:
    """Threads interleave around a switch (one still on v3 while another sees v4)."""
    return [v for i, v in enumerate(seen) if v not in seen[:i]] == \
        [v for i, v in enumerate(expected) if v not in expected[:i]]


def check_alerts(platform: Platform, hooks: Receiver, mails) -> None:  # type: ignore[no-untyped-def]
    def delivered() -> bool:
        rules = [r.body["rule"] for r in hooks.requests]
        return rules.count("DEPLOYMENT_FAILED") >= 4 and rules.count("DEPLOYMENT_LIVE") >= 12

    wait_for(delivered, "4 DEPLOYMENT_FAILED and 12 DEPLOYMENT_LIVE alerts", 60, interval=0.5)
    rules = [r.body["rule"] for r in hooks.requests]
    # 10 deploys + the spec update restoring the spec + the rollback (+ the first deploy
    # happened before destinations were set)
    assert rules.count("DEPLOYMENT_LIVE") == 12, rules
    assert rules.count("DEPLOYMENT_FAILED") == 4, rules
    assert rules.count("DEPLOYMENT_STARTED") == 16, rules
    assert all(r.body["app"] == "zerodown" and r.body["text"] for r in hooks.requests)
    subjects = [line for m in mails.messages for line in m.splitlines()
                if line.startswith("Subject:")]
    assert sum("DEPLOYMENT_FAILED" in s for s in subjects) == 4, subjects
    listed = json.loads(platform.cli("apps", "list-alerts", "zerodown", "-o", "json").out)
    delivered = [d for d in listed["deliveries"] if d["status"] == "delivered"]
    assert len(delivered) == 2 * 32
    assert not any("secret-token" in d["destination"] for d in listed["deliveries"])
