"""On a cluster the runtime reports its rollout's phases; they become the deployment's:
forward only, each recorded once, with the progress steps, and ERROR left to the failure
path (which ends the deployment once the runtime has undone the rollout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.appspec import load_spec
from dockyard.deploy.cluster import Follow, RolloutCanceled, phases_to
from dockyard.deploy.context import DeployContext
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.progress import leaves, new_progress
from dockyard.deploy.services import Services
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.settings import Settings
from dockyard.store import Store

B, PD, D, A = Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING, Phase.ACTIVE


@pytest.mark.parametrize("current,reported,moves", [
    (B, "PENDING_DEPLOY", [PD]),
    (B, "DEPLOYING", [PD, D]),              # a report skipped: the table is walked in order
    (PD, "DEPLOYING", [D]),
    (D, "DEPLOYING", []),                   # each phase is entered once
    (D, "ACTIVE", [A]),
    (A, "DEPLOYING", []),                   # never backwards
    (D, "ERROR", []),                       # the failure path ends the deployment
    (Phase.CANCELED, "ACTIVE", []),
    (Phase.ERROR, "DEPLOYING", []),
    (B, "SOMETHING_ELSE", []),
])
def test_a_reported_phase_gives_the_transitions_to_reach_it(
        current: Phase, reported: str, moves: list[Phase]) -> None:
    assert phases_to(current, reported) == moves


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[DeployContext]:
    store = Store(tmp_path / "d.db")
    spec = load_spec("name: app\nservices:\n- name: web\n  github: {repo: a/b}\n").spec
    app = store.create_app("app", spec.model_dump(exclude_none=True), "name: app\n", [])
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="test",
                                  progress=new_progress([("service", "web")]))
    dep = transition(store, dep, Phase.BUILDING)
    services = Services(Home(tmp_path / "home"), Settings(), store)
    context = DeployContext(services, app, dep, spec, Log(tmp_path / "deploy.log"))
    yield context
    context.log.close()


def statuses(ctx: DeployContext) -> dict[str, str]:
    progress = ctx.store.get_deployment(ctx.app.id, ctx.dep.id).progress
    return {"initialize": progress["steps"][1]["steps"][0]["status"],
            "components": progress["steps"][1]["steps"][1]["status"],
            "finalize": progress["steps"][1]["steps"][2]["status"]}


def test_the_runtimes_phases_become_the_deployments_with_its_progress(
        ctx: DeployContext) -> None:
    live: list[str] = []
    follow = Follow(ctx, lambda: live.append(ctx.dep.phase))
    follow("PENDING_DEPLOY", "applying the configuration")
    assert statuses(ctx) == {"initialize": "RUNNING", "components": "PENDING",
                             "finalize": "PENDING"}
    for detail in ("rolling out", "1 of 2 new pods ready", "web: 2 of 2 pods ready"):
        follow("DEPLOYING", detail)
    assert statuses(ctx) == {"initialize": "SUCCESS", "components": "RUNNING",
                             "finalize": "PENDING"}
    follow("ACTIVE", "release is live")
    follow("ACTIVE", "again")
    assert live == ["ACTIVE"], "DEPLOYMENT_LIVE is sent once, when ACTIVE"
    history = [(h["was"], h["phase"]) for h in ctx.store.phase_history(ctx.dep.id)]
    assert history[1:] == [("BUILDING", "PENDING_DEPLOY"), ("PENDING_DEPLOY", "DEPLOYING"),
                           ("DEPLOYING", "ACTIVE")]
    done = ctx.store.get_deployment(ctx.app.id, ctx.dep.id).progress
    assert {s["status"] for s in leaves(done["steps"][1]["steps"])} == {"SUCCESS"}


def test_an_error_report_leaves_the_phase_to_the_failure_path(ctx: DeployContext) -> None:
    follow = Follow(ctx, lambda: None)
    follow("PENDING_DEPLOY", "applying")
    follow("DEPLOYING", "rolling out")
    follow("ERROR", "web: a new pod does not start")
    assert ctx.store.get_deployment(ctx.app.id, ctx.dep.id).phase == "DEPLOYING"


def test_a_cancel_stops_the_release_before_its_rollout_starts(ctx: DeployContext) -> None:
    follow = Follow(ctx, lambda: None)
    follow("PENDING_DEPLOY", "applying")
    transition(ctx.store, ctx.store.get_deployment(ctx.app.id, ctx.dep.id), Phase.CANCELED)
    with pytest.raises(RolloutCanceled) as raised:
        follow("DEPLOYING", "rolling out")
    assert raised.value.code == "deploy.canceled"
    assert ctx.store.get_deployment(ctx.app.id, ctx.dep.id).phase == "CANCELED"
