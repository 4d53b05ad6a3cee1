"""Scheduled jobs, metrics, metric alerts and the exec console on a real Dockyard.

One app (tests/apps/scheduled_jobs): a web service, a worker that burns half a CPU (with a
CPU_UTILIZATION rule above 3 %: the machine is shared, so the hog may get far less than the
half CPU it asks for, while an idle process stays near 0), and three jobs on a one-minute
cron: ``tick`` (echo), ``slow`` (sleeps past the next tick) and ``fail`` (exits 3,
JOB_INVOCATION_FAILED). Real minutes pass: the module takes about six minutes.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.alerts.conftest import Receiver, receiving
from tests.conftest import wait_for
from tests.e2e.conftest import Platform, get, make_repo, new_platform, stop

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "scheduled_jobs"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving("/hook") as receiver:
        yield receiver


@pytest.fixture(scope="module")
def cron(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
         ) -> Iterator[tuple[Platform, float]]:
    """Dockyard sampling metrics every 2 s, the app deployed, alerts routed to ``receiver``."""
    root = tmp_path_factory.mktemp("cron")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0", DOCKYARD_METRICS_SECONDS="2")
    repo = make_repo(root / "cronapp", APP)
    platform.map_url("https://github.com/example/cronapp.git", repo)
    platform.cli("up")
    platform.deploy_spec(APP / "app.yaml")
    live = time.time()
    hooks = root / "destinations.json"
    hooks.write_text(json.dumps({"slack_webhooks": [{"url": receiver.url, "channel": "#t"}]}))
    for alert in platform.cli("apps", "list-alerts", "cronapp", "-o", "json").json()["alerts"]:
        if alert["spec"]["rule"] in ("JOB_INVOCATION_FAILED", "CPU_UTILIZATION"):
            platform.cli("apps", "update-alert-destinations", "cronapp", alert["id"],
                         "--app-alert-destinations", str(hooks))
    yield platform, live
    stop(platform)


def invocations(platform: Platform, job: str | None = None) -> list[dict[str, Any]]:
    args = ["apps", "list-job-invocations", "cronapp", "-o", "json"]
    return platform.cli(*args, *(["--job-name", job] if job else [])).json()


def pydo_client(platform: Platform) -> Any:
    import pydo

    return pydo.Client(token=platform.admin_token, endpoint=platform.api_url,
                       connection_verify=str(platform.home / "tls" / "ca.pem"), retry_total=0)


# -- the exec console ---------------------------------------------------------------------------
def test_console_runs_a_command_over_the_websocket(cron: tuple[Platform, float]) -> None:
    platform, _ = cron
    result = platform.cli("apps", "console", "cronapp", "web", "--",
                          "sh", "-c", 'echo "answer=$((6*7)) in $PWD"; exit 7', check=False)
    assert "answer=42 in /workspace" in result.out, result.out + result.err
    assert result.code == 7
    inst = platform.cli("apps", "console", "cronapp", "web", "--instance-name", "web-5",
                        "--", "true", check=False)
    assert inst.code != 0 and "not an instance of 'web'" in inst.err


def test_exec_url_is_signed_single_use_and_expires(cron: tuple[Platform, float]) -> None:
    platform, _ = cron
    client = pydo_client(platform)
    app_id = platform.app("cronapp")["id"]
    ctx = ssl.create_default_context(cafile=str(platform.home / "tls" / "ca.pem"))
    url = client.apps.get_exec_active_deployment(app_id, "web")["url"]
    assert url.startswith("wss://") and "token=" in url
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    with pytest.raises(InvalidStatus) as refused:
        connect(forged, ssl=ctx, open_timeout=30).close()
    assert refused.value.response.status_code == 403
    command = "&command=" + urllib.request.quote(json.dumps(["echo", "exec-ok"]))
    with connect(url + command, ssl=ctx, open_timeout=60) as ws:
        messages = [json.loads(m) for m in ws]
    assert "exec-ok" in "".join(m["data"] for m in messages)
    assert messages[-1]["exit_code"] == 0
    with pytest.raises(InvalidStatus):  # a URL works once
        connect(url, ssl=ctx, open_timeout=30).close()
    from dockyard.api.signing import sign_token

    key = (platform.home / "run" / "log-url.key").read_bytes()
    expired = sign_token(key, {"app": app_id, "dep": "x", "component": "web",
                               "instance": ""}, ttl=-1)
    with pytest.raises(InvalidStatus):
        connect(url.split("?")[0] + "?token=" + expired, ssl=ctx, open_timeout=30).close()
    missing = client.apps.get_exec_active_deployment(app_id, "nope")
    assert missing["id"] == "not_found"


# -- metrics -------------------------------------------------------------------------------------
def series(platform: Platform, since: float) -> dict[str, Any]:
    return platform.request("GET", f"/v2/apps/cronapp/metrics/series?since={since}&step=3600"
                            ).body


def web_totals(platform: Platform, since: float) -> dict[str, Any]:
    web = [c for c in series(platform, since)["components"] if c["name"] == "web"]
    totals: dict[str, Any] = {"requests": 0, "r2xx": 0, "r5xx": 0, "bytes_out": 0}
    for point in web[0]["points"] if web else []:
        for key in totals:
            totals[key] += point.get(key, 0)
    return totals


def test_metrics_count_the_requests_a_test_sends(cron: tuple[Platform, float]) -> None:
    platform, _ = cron
    url = platform.app("cronapp")["live_url"]
    wait_for(lambda: series(platform, time.time() - 60)["components"], "first samples", 60)
    start = time.time()
    ok, failing = 800, 40
    for _ in range(ok):
        assert get(url)[0] == 200
    for _ in range(failing):
        assert get(url, "/fail")[0] == 503
    totals = wait_for(lambda: (t := web_totals(platform, start - 1))["requests"] >= ok + failing
                      and t, "the requests in the samples", 30, interval=0.5)
    assert abs(totals["requests"] - (ok + failing)) <= 0.01 * (ok + failing)
    assert totals["r5xx"] == failing and totals["r2xx"] >= ok
    body = series(platform, start - 1)
    web = next(c for c in body["components"] if c["name"] == "web")
    assert any(p.get("latency_p95_ms") is not None for p in web["points"])
    since_live = series(platform, cron[1])
    hog = next(c for c in since_live["components"] if c["name"] == "hog")
    # half a CPU when the machine is idle; a loaded shared machine gives it less
    assert any((p.get("cpu_percent") or 0) > 3 for p in hog["points"]), hog
    assert any((p.get("memory_bytes") or 0) > 0 for p in hog["points"])
    assert body["deployments"] == [] or body["deployments"][0]["phase"] == "ACTIVE"
    client = pydo_client(platform)
    app_id = platform.app("cronapp")["id"]
    usage = client.apps.get_metrics_bandwidth_daily(app_id)["app_bandwidth_usage"][0]
    assert usage["app_id"] == app_id and int(usage["bandwidth_bytes"]) >= totals["bytes_out"]
    many = client.apps.list_metrics_bandwidth_daily({"app_ids": [app_id]})
    assert many["app_bandwidth_usage"][0]["app_id"] == app_id
    health = {c["name"]: c for c in client.apps.get_health(app_id)["app_health"]["components"]}
    assert health["hog"]["cpu_usage_percent"] > 0
    assert 0 < health["web"]["memory_usage_percent"] < 100


# -- scheduled jobs ------------------------------------------------------------------------------
def test_a_one_minute_job_runs_twice_with_its_logs(cron: tuple[Platform, float]) -> None:
    platform, live = cron
    done = wait_for(lambda: len(ok := [i for i in invocations(platform, "tick")
                                       if i["phase"] == "SUCCEEDED"]) >= 2 and ok,
                    "two runs of the tick job", 200, interval=2)
    first, second = sorted(done, key=lambda i: i["dockyard"]["scheduled_for"])[:2]
    assert first["trigger"]["type"] == "SCHEDULE"
    assert first["trigger"]["scheduled"]["schedule"] == {"cron": "* * * * *",
                                                         "time_zone": "Asia/Kolkata"}
    assert first["dockyard"]["scheduled_for"] != second["dockyard"]["scheduled_for"]
    assert first["started_at"] <= first["completed_at"] and first["dockyard"]["exit_code"] == 0
    text = platform.cli("apps", "list-job-invocations", "cronapp", "--job-name", "tick").out
    assert text.splitlines()[0].split() == ["ID", "Job", "Name", "Created", "At", "Started",
                                            "At", "Completed", "At", "Phase"]
    assert first["id"] in text
    client = pydo_client(platform)
    app_id = platform.app("cronapp")["id"]
    logs = client.apps.get_job_invocation_logs(app_id, "tick", first["id"],
                                               type="JOB_INVOCATION")
    ctx = ssl.create_default_context(cafile=str(platform.home / "tls" / "ca.pem"))
    with urllib.request.urlopen(logs["historic_urls"][0], context=ctx) as resp:
        log = resp.read().decode()
    assert "tick at" in log and "in /workspace" in log and "ended SUCCEEDED" in log
    got = client.apps.get_job_invocation(app_id, first["id"], job_name="tick")
    assert got["id"] == first["id"] and got["deployment_id"] == first["deployment_id"]
    listed = client.apps.list_job_invocations(app_id, job_names=["tick"], per_page=1)
    assert len(listed["job_invocations"]) == 1 and listed["meta"]["total"] >= 2
    assert client.apps.get_job_invocation(app_id, "nope")["id"] == "not_found"
    assert client.apps.get_job_invocation(app_id, first["id"], job_name="fail")["id"] == \
        "not_found"


def test_an_overlapping_invocation_is_not_started(cron: tuple[Platform, float]) -> None:
    platform, _ = cron
    skipped = wait_for(lambda: [i for i in invocations(platform, "slow")
                                if i["phase"] == "SKIPPED"], "a skipped slow tick", 150,
                       interval=2)
    running = [i for i in invocations(platform, "slow") if i["phase"] == "RUNNING"]
    assert len(running) == 1, invocations(platform, "slow")
    assert running[0]["id"] in skipped[0]["dockyard"]["error_message"]
    assert "started_at" not in skipped[0]


def test_a_failing_invocation_raises_job_invocation_failed(cron: tuple[Platform, float],
                                                           receiver: Receiver) -> None:
    platform, _ = cron
    failed = wait_for(lambda: [i for i in invocations(platform, "fail")
                               if i["phase"] == "FAILED"], "a failed invocation", 150, interval=2)
    assert failed[0]["dockyard"]["exit_code"] == 3
    sent = wait_for(lambda: [r for r in receiver.requests
                             if r.body["rule"] == "JOB_INVOCATION_FAILED"], "the alert", 30)
    assert sent[0].body["component"] == "fail"
    assert any(f["id"] in sent[0].body["message"] for f in failed), (failed, sent[0].body)


def test_an_api_restart_neither_loses_nor_repeats_an_invocation(
        cron: tuple[Platform, float]) -> None:
    platform, _ = cron
    running = wait_for(lambda: [i for i in invocations(platform, "slow")
                                if i["phase"] == "RUNNING"], "a running slow job", 120)[0]
    os.kill(platform.status["processes"]["dockyard-api"]["pid"], signal.SIGKILL)
    wait_for(lambda: platform.cli("apps", "list", check=False).code == 0, "the API back", 60,
             interval=0.5)
    after = {i["id"]: i for i in invocations(platform, "slow")}
    assert after[running["id"]]["phase"] == "RUNNING"  # its worker outlived the server
    ticks = [(i["job_name"], i["dockyard"]["scheduled_for"]) for i in invocations(platform)]
    assert len(ticks) == len(set(ticks))  # one record per job and tick, none repeated
    canceled = platform.cli("apps", "cancel-job-invocation", "cronapp", running["id"],
                            "-o", "json").json()[0]
    assert canceled["phase"] == "CANCELED"
    ended = wait_for(lambda: (i := platform.cli("apps", "get-job-invocation", "cronapp",
                                                running["id"], "-o", "json").json()[0])
                     .get("dockyard", {}).get("exit_code") is not None and i,
                     "the canceled job's exit status", 30, interval=0.5)
    assert ended["phase"] == "CANCELED" and ended["dockyard"]["exit_code"] != 0
    again = platform.cli("apps", "cancel-job-invocation", "cronapp", running["id"], check=False)
    assert again.code != 0 and "nothing to cancel" in again.err


# -- metric alerts -------------------------------------------------------------------------------
def test_a_cpu_hog_raises_cpu_utilization_within_its_window(cron: tuple[Platform, float],
                                                            receiver: Receiver) -> None:
    _platform, live = cron
    sent = wait_for(lambda: [r for r in receiver.requests
                             if r.body["rule"] == "CPU_UTILIZATION"],
                    "CPU_UTILIZATION", max(30, live + 300 + 60 - time.time()), interval=1)
    assert sent[0].body["component"] == "hog" and "CPU averaged" in sent[0].body["message"]
    took = time.time() - live
    print(f"CPU_UTILIZATION after {took:.0f} s (window 300 s)")
    assert len([r for r in receiver.requests if r.body["rule"] == "CPU_UTILIZATION"]) == 1
