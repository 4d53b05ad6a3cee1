"""Every operation of pydo 0.44's ``client.apps``, unmodified, against a real Dockyard.

The operations are enumerated from pydo itself, so an operation pydo gains cannot be
forgotten: each must be in ``CALLS``, called here, in order, against a live app (a service
and two scheduled jobs) and checked against the response shape pydo documents for it
(``tests/api/pydo_shapes.py``). Every operation that names an app also answers an app id
that does not exist with a 404 in DigitalOcean's error shape.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydo
import pytest
from pydo.operations._operations import AppsOperations

from tests.api.pydo_shapes import documented, mismatches, operations
from tests.conftest import wait_for
from tests.e2e.conftest import Platform, make_repo, new_platform

pytestmark = pytest.mark.slow
APP = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"
NAME = "pydowalk"
OTHER = f"walk-{uuid.uuid4().hex[:6]}"
MISSING = "00000000-0000-4000-8000-000000000000"
ACTIVE_TIMEOUT = 180.0

EXTENSIONS = (
    r".*\.dockyard",  # Dockyard's own object, on apps, deployments and sizes
    r".*\.cause_details",  # DigitalOcean's (godo has it); pydo 0.44's docstring leaves it out
    r".*\.spec\.(envs|alerts|features)",  # real App Spec fields pydo's schema leaves out
    r".*\.spec\.(services|workers|jobs|static_sites)\[\d+\]\.alerts",
    r".*\.spec\.jobs\[\d+\]\.(schedule|kind=SCHEDULED)",  # scheduled jobs: in godo and
    # DigitalOcean's spec reference, not yet in pydo 0.44's schema
    r".*\.deployment\.(error|log_tail)",  # why a deployment failed, and its last log lines
    r"\.(notes|undeployable|max_free_static_apps|builds)",  # propose: what Dockyard
    # will not run, and what each component would be built with
    r"\.app\.last_deployment_active_at",  # DigitalOcean's App has it; pydo's doc leaves it out
    r"\.apps\[\d+\]\.last_deployment_active_at",
    r"\.meta",  # list_events: DigitalOcean's pagination meta
    r"\.deliveries",  # list_alerts: every delivery of the app's alerts
)
"""Paths where Dockyard answers keys pydo's docstrings do not list; every other key must be
one DigitalOcean documents."""
ERROR_EXTENSIONS = (r"\.code", r"\.errors")
"""An error's ``code`` (pydo then shows it) and, for a bad spec, every error with its path."""


def small_spec(name: str, repo: str) -> dict[str, Any]:
    """A service and two jobs every minute: ``tick`` ends at once, ``slow`` runs 100 s."""
    source = {"environment_slug": "python", "github": {"repo": repo, "branch": "main"}}
    return {"name": name,
            "alerts": [{"rule": "DEPLOYMENT_LIVE"}, {"rule": "DEPLOYMENT_FAILED"}],
            "services": [{
                "name": "web", **source,
                "run_command": "gunicorn --workers 1 app:app", "instance_count": 1,
                "routes": [{"path": "/"}],
                "health_check": {"http_path": "/health", "period_seconds": 1},
                "termination": {"drain_seconds": 1, "grace_period_seconds": 5}}],
            "jobs": [{"name": job, "kind": "SCHEDULED", "schedule": {"cron": "* * * * *"},
                      **source, "run_command": command}
                     for job, command in (("tick", "echo tick"), ("slow", "sleep 100"))]}


def static_spec(name: str) -> dict[str, Any]:
    return {"name": name, "static_sites": [{
        "name": "site", "git": {"repo_clone_url": "https://example.invalid/r.git",
                                "branch": "main"}}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("pydowalk")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    platform.map_url(f"https://github.com/example/{NAME}.git", make_repo(root / NAME, APP))
    platform.cli("up")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REQUESTS_CA_BUNDLE", str(platform.home / "tls" / "ca.pem"))
        yield platform
    platform.cli("down", check=False)


@pytest.fixture(scope="module")
def client(server: Platform) -> Any:
    return pydo.Client(token=server.admin_token, endpoint=server.api_url, retry_total=0)


def with_status(pipeline_response: Any, body: Any, _headers: Any) -> tuple[int, Any]:
    """pydo's ``cls`` hook: the status code beside the body (404 bodies come back too)."""
    return pipeline_response.http_response.status_code, body


def wait_active(client: Any, app_id: str, dep_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + ACTIVE_TIMEOUT
    dep: dict[str, Any] = {}
    while time.monotonic() < deadline:
        dep = client.apps.get_deployment(app_id, dep_id)["deployment"]
        if dep["phase"] == "ACTIVE":
            return dep
        assert dep["phase"] not in ("ERROR", "CANCELED"), dep
        time.sleep(0.3)
    raise AssertionError(f"Timed out waiting for {dep_id} to be ACTIVE (last: {dep})")


@pytest.fixture(scope="module")
def ctx(client: Any) -> dict[str, Any]:
    """The walk's state: a live app (its first deployment ACTIVE) and ids found on the way."""
    app = client.apps.create(body={"spec": small_spec(NAME, f"example/{NAME}")})["app"]
    first = wait_active(client, app["id"], app["in_progress_deployment"]["id"])
    return {"app": app["id"], "dep": first["id"], "first": first["id"]}


def remember(key: str, pick: Callable[[Any], Any]) -> Callable[[dict[str, Any], Any], None]:
    def keep(ctx: dict[str, Any], body: Any) -> None:
        ctx[key] = pick(body)
    return keep


def live(key: str) -> Callable[[dict[str, Any], Any], None]:
    """After a call that made a deployment: wait until it is live; it is ``ctx[key]``."""
    def keep(ctx: dict[str, Any], body: Any) -> None:
        ctx[key] = body["deployment"]["id"]
        ctx["wait"] = ctx[key]
    return keep


def ran_jobs(apps: Any, ctx: dict[str, Any]) -> tuple[int, Any]:
    """``list_job_invocations`` once the jobs have run: ``tick`` ended, ``slow`` running
    (their ids go to ``ctx``); the first run is at the next minute."""
    def ready() -> tuple[int, Any] | None:
        status, body = apps.list_job_invocations(ctx["app"])
        phases = {(i["job_name"], i["phase"]): i["id"] for i in body["job_invocations"]}
        if ("tick", "SUCCEEDED") in phases and ("slow", "RUNNING") in phases:
            ctx["tick"], ctx["slow"] = phases["tick", "SUCCEEDED"], phases["slow", "RUNNING"]
            return status, body
        return None

    return wait_for(ready, "a finished tick and a running slow invocation", timeout=150,
                    interval=1)


# (operation, call with the walk's state, what to keep from the answer). In order: later
# calls use what earlier ones made.
Call = tuple[str, Callable[[Any, dict[str, Any]], Any], Callable[[dict[str, Any], Any], None]]
NOTHING: Callable[[dict[str, Any], Any], None] = lambda ctx, body: None  # noqa: E731
CALLS: list[Call] = [
    ("list", lambda a, c: a.list(), NOTHING),
    ("get", lambda a, c: a.get(c["app"]), NOTHING),
    ("validate_app_spec", lambda a, c: a.validate_app_spec(
        body={"spec": static_spec("walk-proposed")}), NOTHING),
    ("create", lambda a, c: a.create(body={"spec": static_spec(OTHER)}),
     remember("other", lambda b: b["app"]["id"])),
    ("update", lambda a, c: a.update(c["other"], body={"spec": {**static_spec(OTHER),
                                                              "region": "ams"}}), NOTHING),
    ("list_deployments", lambda a, c: a.list_deployments(c["app"]), NOTHING),
    ("get_deployment", lambda a, c: a.get_deployment(c["app"], c["dep"]), NOTHING),
    ("get_logs", lambda a, c: a.get_logs(c["app"], c["dep"], "web", type="BUILD"), NOTHING),
    ("get_logs_aggregate", lambda a, c: a.get_logs_aggregate(c["app"], c["dep"], type="DEPLOY"),
     NOTHING),
    ("get_logs_active_deployment", lambda a, c: a.get_logs_active_deployment(
        c["app"], "web", type="RUN"), NOTHING),
    ("get_logs_active_deployment_aggregate", lambda a, c: a.get_logs_active_deployment_aggregate(
        c["app"], type="AUTOSCALE_EVENT"), NOTHING),
    ("get_instances", lambda a, c: a.get_instances(c["app"]), NOTHING),
    ("get_health", lambda a, c: a.get_health(c["app"]), NOTHING),
    ("get_exec", lambda a, c: a.get_exec(c["app"], c["dep"], "web", instance_name="web-0"),
     NOTHING),
    ("get_exec_active_deployment", lambda a, c: a.get_exec_active_deployment(c["app"], "web"),
     NOTHING),
    ("get_metrics_bandwidth_daily", lambda a, c: a.get_metrics_bandwidth_daily(c["app"]),
     NOTHING),
    ("list_metrics_bandwidth_daily", lambda a, c: a.list_metrics_bandwidth_daily(
        {"app_ids": [c["app"]]}), NOTHING),
    ("list_instance_sizes", lambda a, c: a.list_instance_sizes(), NOTHING),
    ("get_instance_size", lambda a, c: a.get_instance_size("apps-s-1vcpu-1gb"), NOTHING),
    ("list_regions", lambda a, c: a.list_regions(), NOTHING),
    ("list_alerts", lambda a, c: a.list_alerts(c["app"]),
     remember("alert", lambda b: b["alerts"][0]["id"])),
    ("assign_alert_destinations", lambda a, c: a.assign_alert_destinations(
        c["app"], c["alert"], {"emails": ["ops@example.com"], "slack_webhooks": []}), NOTHING),
    ("create_deployment", lambda a, c: a.create_deployment(c["app"], {"force_build": True}),
     remember("pending", lambda b: b["deployment"]["id"])),
    ("cancel_deployment", lambda a, c: a.cancel_deployment(c["app"], c["pending"]), NOTHING),
    ("list_events", lambda a, c: a.list_events(c["app"], event_types=["DEPLOYMENT"]),
     remember("event", lambda b: b["events"][0]["id"])),
    ("get_event", lambda a, c: a.get_event(c["app"], c["event"]), NOTHING),
    ("get_event_logs", lambda a, c: a.get_event_logs(c["app"], c["event"], type="BUILD"),
     NOTHING),
    ("cancel_event", lambda a, c: a.cancel_event(c["app"], c["event"]), NOTHING),
    ("restart", lambda a, c: a.restart(c["app"]), live("dep")),
    ("validate_rollback", lambda a, c: a.validate_rollback(
        c["app"], {"deployment_id": c["first"]}), NOTHING),
    ("create_rollback", lambda a, c: a.create_rollback(c["app"], {"deployment_id": c["first"]}),
     live("rollback")),
    ("revert_rollback", lambda a, c: a.revert_rollback(c["app"]), live("dep")),
    ("commit_rollback", lambda a, c: (a.create_rollback(c["app"], {"deployment_id": c["first"]}),
                                      a.commit_rollback(c["app"]))[1], NOTHING),
    ("delete", lambda a, c: a.delete(c["other"]), NOTHING),
    ("list_job_invocations", lambda a, c: ran_jobs(a, c), NOTHING),
    ("get_job_invocation", lambda a, c: a.get_job_invocation(c["app"], c["tick"],
                                                             job_name="tick"), NOTHING),
    ("get_job_invocation_logs", lambda a, c: a.get_job_invocation_logs(
        c["app"], "tick", c["tick"], type="JOB_INVOCATION"), NOTHING),
    ("cancel_job_invocation", lambda a, c: a.cancel_job_invocation(c["app"], c["slow"],
                                                                   job_name="slow"), NOTHING),
]
CALLED = [name for name, _call, _keep in CALLS]


def test_every_pydo_operation_is_walked():
    ops = set(operations())
    assert len(ops) >= 38  # pydo 0.44's client.apps
    assert len(CALLED) == len(set(CALLED))
    assert ops == set(CALLED), (f"not walked: {sorted(ops - set(CALLED))}; "
                                f"not in pydo: {sorted(set(CALLED) - ops)}")


@pytest.mark.parametrize(("name", "call", "keep"), CALLS, ids=CALLED)
def test_operation_answers_in_digitalocean_shape(client, ctx, name, call, keep):  # type: ignore[no-untyped-def]
    if ctx.get("wait"):  # the previous call started a deployment: let it go live first
        wait_active(client, ctx["app"], ctx.pop("wait"))
    status, body = call(Bound(client.apps), ctx)
    assert status == 200, (name, body)
    doc = documented(name).get("200")
    if doc is None:  # commit_rollback: DigitalOcean answers 200 with an empty body
        assert body is None
    else:
        problems = mismatches(doc, body, extra=EXTENSIONS)
        assert not problems, f"{name}:\n" + "\n".join(problems)
    keep(ctx, body)


def missing_call(name: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments for ``name`` that name an app (and anything else) that does not exist."""
    params = list(inspect.signature(getattr(AppsOperations, name)).parameters.values())[1:]
    args: list[Any] = []
    for param in params:
        if param.kind != param.POSITIONAL_OR_KEYWORD or (param.default is not param.empty
                                                         and param.name != "body"):
            continue
        args.append({} if param.name == "body" else
                    "web" if param.name in ("component_name", "job_name") else MISSING)
    kwargs = {"type": "JOB_INVOCATION"} if name == "get_job_invocation_logs" else {}
    return tuple(args), kwargs


NAMES_AN_APP = [name for name in operations() if next(iter(list(inspect.signature(
    getattr(AppsOperations, name)).parameters)[1:]), "") in ("app_id", "id")]


@pytest.mark.parametrize("name", NAMES_AN_APP)
def test_an_app_that_does_not_exist_is_a_digitalocean_404(client, name):  # type: ignore[no-untyped-def]
    args, kwargs = missing_call(name)
    status, body = getattr(Bound(client.apps), name)(*args, **kwargs)
    assert status == 404, (name, body)
    assert not mismatches(documented(name)["404"], body, extra=ERROR_EXTENSIONS), body
    assert body["id"] == "not_found" and body["message"]


class Bound:
    """``client.apps`` whose every call returns ``(status, body)`` (pydo's ``cls`` hook)."""

    def __init__(self, apps: Any) -> None:
        self.apps = apps

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self.apps, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return operation(*args, cls=with_status, **kwargs)

        return call
