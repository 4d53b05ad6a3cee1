"""DigitalOcean's own client, unmodified, against a real Dockyard over HTTPS.

``pydo.Client(token=…, endpoint=api_url)`` with ``REQUESTS_CA_BUNDLE`` pointing at Dockyard's
CA: the small app is created from a spec, deployed, redeployed, rolled back and deleted, and
every response is checked against pydo's transport contract (reference do-apps-api §3).
"""

from __future__ import annotations

import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydo
import pytest
from azure.core.exceptions import (  # installed with pydo
    ClientAuthenticationError,
    HttpResponseError,
)

from tests.conftest import wait_for
from tests.e2e.conftest import Platform, commit, get, make_repo, new_platform, stop

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"
NAME = "pydoapp"
ACTIVE_TIMEOUT = 180.0


def small_app_spec(name: str = NAME) -> dict[str, Any]:
    """tests/apps/zero_downtime/app.yaml as the dict a pydo user would send."""
    return {"name": name,
            "alerts": [{"rule": "DEPLOYMENT_LIVE"}, {"rule": "DEPLOYMENT_FAILED"}],
            "services": [{
                "name": "web", "environment_slug": "python",
                "github": {"repo": f"example/{name}", "branch": "main"},
                "run_command": "gunicorn --workers 2 --graceful-timeout 5 app:app",
                "instance_count": 2, "instance_size_slug": "basic-xxs",
                "routes": [{"path": "/"}],
                "health_check": {"http_path": "/health", "period_seconds": 1,
                                 "failure_threshold": 4},
                "termination": {"drain_seconds": 1, "grace_period_seconds": 5}}]}


class Recorder:
    """Every HTTP response pydo saw (its ``raw_response_hook``)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int, dict[str, str]]] = []

    def __call__(self, pipeline_response: Any) -> None:
        req, resp = pipeline_response.http_request, pipeline_response.http_response
        self.seen.append((req.method, req.url, resp.status_code, dict(resp.headers)))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Path]]:
    root = tmp_path_factory.mktemp("pydo")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    repo = make_repo(root / NAME, APP)
    platform.map_url(f"https://github.com/example/{NAME}.git", repo)
    platform.cli("up")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(platform.home / "tls" / "ca.pem"))
        yield platform, repo
    stop(platform)


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def client(server: tuple[Platform, Path], recorder: Recorder) -> Any:
    platform, _repo = server
    return pydo.Client(token=platform.admin_token, endpoint=platform.api_url,
                       raw_response_hook=recorder)


@pytest.fixture(autouse=True)
def transport_contract(recorder: Recorder) -> Iterator[None]:
    """pydo never sees 201/202/204, Retry-After on a 4xx, or non-integer rate-limit headers."""
    start = len(recorder.seen)
    yield
    for method, url, status, headers in recorder.seen[start:]:
        where = f"{method} {url} -> {status}"
        assert status not in (201, 202, 204), where
        low = {k.lower(): v for k, v in headers.items()}
        assert not (400 <= status < 500 and "retry-after" in low), where
        for key in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
            assert key not in low or low[key].isdigit(), (where, key, low[key])


def wait_phase(client: Any, app_id: str, dep_id: str, phase: str = "ACTIVE",
               timeout: float = ACTIVE_TIMEOUT) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        dep = client.apps.get_deployment(app_id, dep_id)["deployment"]
        assert dep["phase"] not in ("ERROR", "CANCELED"), dep
        return dep if dep["phase"] == phase else None

    return wait_for(reached, f"deployment {dep_id} to be {phase}", timeout, interval=0.3)


def served(app: dict[str, Any]) -> bytes:
    return get(app["live_url"])[1]


@pytest.fixture(scope="module")
def live(client: Any) -> dict[str, Any]:
    """The small app, created through pydo and ACTIVE."""
    app = client.apps.create(body={"spec": small_app_spec()})["app"]
    dep_id = app["in_progress_deployment"]["id"]
    wait_phase(client, app["id"], dep_id)
    return client.apps.get(app["id"])["app"]


def fetch(url: str, ca: Path) -> str:
    """A log URL as pydo's caller fetches it: no API token."""
    ctx = ssl.create_default_context(cafile=str(ca))
    req = urllib.request.Request(url)
    assert "Authorization" not in req.headers
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        return resp.read().decode()


def test_created_app_goes_active_and_serves_its_page(client, live):  # type: ignore[no-untyped-def]
    assert live["spec"]["name"] == NAME
    assert live["active_deployment"]["phase"] == "ACTIVE"
    assert served(live).startswith(b"version=")


def test_list_and_get_by_id_and_by_name(client, live):  # type: ignore[no-untyped-def]
    listed = client.apps.list()
    assert live["id"] in [a["id"] for a in listed["apps"]]
    assert listed["meta"]["total"] >= 1
    assert client.apps.get(live["id"])["app"]["spec"]["name"] == NAME
    assert client.apps.get("", name=NAME)["app"]["id"] == live["id"]


def test_list_deployments_and_get_deployment(client, live):  # type: ignore[no-untyped-def]
    deps = client.apps.list_deployments(live["id"])
    assert deps["meta"]["total"] >= 1
    newest = deps["deployments"][0]
    got = client.apps.get_deployment(live["id"], newest["id"])["deployment"]
    assert got["id"] == newest["id"] and got["phase"] in ("ACTIVE", "SUPERSEDED")
    assert got["services"][0]["name"] == "web"
    assert len(got["services"][0]["source_commit_hash"]) == 40
    assert got["progress"]["total_steps"] == got["progress"]["success_steps"]


@pytest.mark.parametrize(("kind", "expect"), [
    ("BUILD", "-----> "), ("DEPLOY", "-----> "), ("RUN", "Booting worker"),
    (None, "Booting worker")])  # None: pydo's default, type=UNSPECIFIED (RUN logs)
def test_historic_log_urls_work_without_the_token(client, live, server, kind, expect):  # type: ignore[no-untyped-def]
    platform, _repo = server
    dep_id = live["active_deployment"]["id"]
    kwargs = {"type": kind} if kind else {}
    logs = client.apps.get_logs(live["id"], dep_id, "web", **kwargs)
    assert logs["historic_urls"] and logs["historic_urls"][0].startswith("https://")
    text = fetch(logs["historic_urls"][0], platform.home / "tls" / "ca.pem")
    assert expect in text, text[-2000:]


def test_live_log_url_of_a_finished_build_streams_then_ends(client, live, server):  # type: ignore[no-untyped-def]
    platform, _repo = server
    logs = client.apps.get_logs(live["id"], live["active_deployment"]["id"], "web",
                                type="BUILD", follow=True)
    assert logs["live_url"].startswith("https://")
    text = fetch(logs["live_url"], platform.home / "tls" / "ca.pem")
    assert "-----> " in text


def test_validate_app_spec_good_and_bad(client):  # type: ignore[no-untyped-def]
    good = client.apps.validate_app_spec(body={"spec": small_app_spec("pydo-proposed")})
    assert good["app_name_available"] is True
    assert good["spec"]["services"][0]["name"] == "web"
    bad = small_app_spec("pydo-bad")
    bad["services"][0]["routes"][0]["path"] = "no-slash"
    with pytest.raises(HttpResponseError) as err:
        client.apps.validate_app_spec(body={"spec": bad})
    assert err.value.status_code == 422
    assert "services[0].routes[0].path" in err.value.response.json()["message"]


def test_redeploy_rollback_revert_and_commit(client, live, server):  # type: ignore[no-untyped-def]
    _platform, repo = server
    app_id = live["id"]
    first = live["active_deployment"]["id"]
    commit(repo, {"version.txt": "pydo-two\n"})
    dep = client.apps.create_deployment(app_id, {})["deployment"]
    assert dep["phase"] == "PENDING_BUILD"
    wait_phase(client, app_id, dep["id"])
    assert served(live).startswith(b"version=pydo-two")

    assert client.apps.validate_rollback(app_id, {"deployment_id": first})["valid"] is True
    back = client.apps.create_rollback(app_id, {"deployment_id": first})["deployment"]
    assert back["cloned_from"] == first
    wait_phase(client, app_id, back["id"])
    assert not served(live).startswith(b"version=pydo-two")
    assert client.apps.get(app_id)["app"]["pinned_deployment"]["id"] == back["id"]

    reverted = client.apps.revert_rollback(app_id)["deployment"]
    wait_phase(client, app_id, reverted["id"])
    assert served(live).startswith(b"version=pydo-two")

    again = client.apps.create_rollback(app_id, {"deployment_id": first})["deployment"]
    wait_phase(client, app_id, again["id"])
    assert client.apps.commit_rollback(app_id) is None
    assert "pinned_deployment" not in client.apps.get(app_id)["app"]


def test_list_alerts(client, live):  # type: ignore[no-untyped-def]
    rules = {a["spec"]["rule"] for a in client.apps.list_alerts(live["id"])["alerts"]}
    assert {"DEPLOYMENT_LIVE", "DEPLOYMENT_FAILED"} <= rules


def test_catalogue(client):  # type: ignore[no-untyped-def]
    regions = client.apps.list_regions()["regions"]
    assert [r["slug"] for r in regions if r["default"]] == ["local"]
    sizes = client.apps.list_instance_sizes()["instance_sizes"]
    assert {"basic-xxs", "apps-s-1vcpu-0.5gb"} <= {s["slug"] for s in sizes}
    size = client.apps.get_instance_size("basic-xxs")["instance_size"]
    assert size["memory_bytes"] == "536870912" and size["usd_per_month"] == "0.00"
    missing = client.apps.get_instance_size("no-such-size")
    assert missing["id"] == "not_found" and "no-such-size" in missing["message"]


def test_instances_and_health(client, live):  # type: ignore[no-untyped-def]
    instances = client.apps.get_instances(live["id"])["instances"]
    assert sorted(i["instance_alias"] for i in instances) == ["web-0", "web-1"]
    assert {i["component_type"] for i in instances} == {"SERVICE"}
    health = client.apps.get_health(live["id"])["app_health"]["components"]
    assert health[0]["name"] == "web"
    assert (health[0]["replicas_desired"], health[0]["replicas_ready"]) == (2, 2), health
    assert health[0]["state"] == "HEALTHY"


def test_restart_without_a_body_deploys_again(client, live):  # type: ignore[no-untyped-def]
    dep = client.apps.restart(live["id"])["deployment"]
    assert dep["cause"] == "restart"
    wait_phase(client, live["id"], dep["id"])
    assert served(live).startswith(b"version=")


def test_delete_then_get_returns_the_404_body(client):  # type: ignore[no-untyped-def]
    name = f"gone-{uuid.uuid4().hex[:6]}"
    app = client.apps.create(body={"spec": {"name": name, "static_sites": [{
        "name": "site", "git": {"repo_clone_url": "https://example.invalid/r.git",
                                "branch": "main"}}]}})["app"]
    assert client.apps.delete(app["id"]) == {"id": app["id"]}
    gone = client.apps.get(app["id"])
    assert gone["id"] == "not_found" and gone["message"]


def test_wrong_token_raises_client_authentication_error(server):  # type: ignore[no-untyped-def]
    platform, _repo = server
    bad = pydo.Client(token="not-a-token", endpoint=platform.api_url, retry_total=0)
    with pytest.raises(ClientAuthenticationError):
        bad.apps.list()
