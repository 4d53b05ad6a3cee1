"""``Engine``: newest pending deployment wins, real worker processes, and recovery after the
API server stopped mid-deployment."""

from __future__ import annotations

import threading

import pytest

from dockyard.deploy.context import deployment_instances
from dockyard.deploy.engine import INTERRUPTED, Engine
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.services import Services
from dockyard.locks import deploy_lock_path, file_lock
from dockyard.store import App, Deployment
from tests.deploy.conftest import Deployer, start_new, tiny_spec
from tests.deploy.doubles import RecordingRouter, RecordingRuntime

FOREIGN = "EV[1:do-key-id:c2VjcmV0IGZyb20gZGlnaXRhbG9jZWFu]"


def failing_app(deployer: Deployer) -> App:
    """An app whose deployments fail in the worker before anything is built or started."""
    spec = tiny_spec(deployer.repo)
    spec["envs"] = [{"key": "TOKEN", "type": "SECRET", "value": FOREIGN}]
    return deployer.create_unchecked(spec)


def run_engine(services: Services, app: App) -> Engine:
    """Submit the app and wait for its engine thread to run out of pending deployments."""
    engine = Engine(services)
    engine.submit(app.id)
    thread = engine.workers.get(app.id)
    if thread:
        thread.join(120)
    return engine


def test_pending_deployments_coalesce_into_the_newest(deployer: Deployer, services: Services):
    app = failing_app(deployer)
    older = [deployer.queue(app, cause=f"push {n}") for n in range(3)]
    newest = deployer.queue(app, cause="push 3")
    engine = run_engine(services, app)
    for dep in older:
        stored = services.store.get_deployment(app.id, dep.id)
        assert stored.phase == "CANCELED" and stored.error_code == "deploy.coalesced"
        assert stored.error_message == f"coalesced into deployment {newest.id}"
        assert deployer.log(dep) == ""  # never started
    ran = services.store.get_deployment(app.id, newest.id)
    assert ran.phase == "ERROR" and ran.error_code == "secrets.foreign_value"
    assert "Phase BUILDING (was PENDING_BUILD)" in deployer.log(ran)
    assert app.id not in engine.workers  # the thread ended with nothing left


def test_next_deployment_is_none_when_nothing_is_pending(deployer: Deployer,
                                                         services: Services):
    app = deployer.create(tiny_spec(deployer.repo))
    engine = Engine(services)
    assert engine.next_deployment(app.id) is None
    dep = deployer.queue(app)
    transition(services.store, dep, Phase.BUILDING)
    assert engine.next_deployment(app.id) is None  # a running one is not picked again


def test_start_runs_what_was_left_pending(deployer: Deployer, services: Services):
    app = failing_app(deployer)
    dep = deployer.queue(app)
    engine = Engine(services)
    engine.start()
    engine.workers[app.id].join(60)
    assert deployer.phase(dep) == "ERROR"


def test_a_stopped_engine_runs_nothing(deployer: Deployer, services: Services):
    app = failing_app(deployer)
    dep = deployer.queue(app)
    engine = Engine(services)
    engine.stop()
    engine.submit(app.id)
    engine.workers[app.id].join(10)
    assert deployer.phase(dep) == "PENDING_BUILD"


def test_a_worker_that_dies_ends_its_deployment_in_error_and_stops_its_instances(
        deployer: Deployer, services: Services, runtime: RecordingRuntime):
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=Phase.PENDING_BUILD)
    start_new(ctx)
    broken = services.store.create_deployment(ctx.app, phase="PENDING_BUILD", cause="test",
                                              spec_version=99)  # the worker cannot open it
    services.store.update_deployment(broken, components=ctx.dep.components)
    Engine(services).run_worker(ctx.app.id, broken.id)
    died = services.store.get_deployment(ctx.app.id, broken.id)
    assert died.phase == "ERROR" and died.error_code == "deploy.worker_died"
    assert died.error_message == "the deploy worker exited with status 1; deploy again"
    assert runtime.stopped() == deployment_instances(ctx.app.id, died)


# -- recovery after a restart ------------------------------------------------------------------
def deployment_at(deployer: Deployer, phase: Phase, app: App | None = None) -> Deployment:
    """A deployment of the tiny app in ``phase`` whose instances were started."""
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=phase, app=app)
    start_new(ctx)
    return deployer.store.get_deployment(ctx.app.id, ctx.dep.id)


def live_app(deployer: Deployer, router: RecordingRouter) -> tuple[App, Deployment]:
    dep = deployment_at(deployer, Phase.ACTIVE)
    router.switch(dep.app_id, {"web": deployer.ports(dep)})
    return deployer.store.get_app(dep.app_id), dep


def test_recover_finishes_a_deployment_whose_switch_happened(deployer: Deployer,
                                                              services: Services,
                                                              router: RecordingRouter,
                                                              runtime: RecordingRuntime):
    app, old = live_app(deployer, router)
    new = deployment_at(deployer, Phase.DEPLOYING, app)
    router.switch(app.id, {"web": deployer.ports(new)})  # the server died right after this
    Engine(services).recover()
    assert deployer.phase(new) == "ACTIVE"
    retiring = [t for t in threading.enumerate() if t.name.endswith("(retire)")]
    assert len(retiring) == 1  # the old release drains in the background
    retiring[0].join(30)
    assert deployer.phase(old) == "SUPERSEDED"
    assert runtime.stopped() == deployment_instances(app.id, old)
    assert router.active(app.id) == {"web": deployer.ports(new)}


def test_recover_ends_an_unswitched_deployment_and_stops_its_instances(
        deployer: Deployer, services: Services, router: RecordingRouter,
        runtime: RecordingRuntime):
    app, old = live_app(deployer, router)
    new = deployment_at(deployer, Phase.DEPLOYING, app)
    switches = len(router.switches())
    Engine(services).recover()
    ended = services.store.get_deployment(app.id, new.id)
    assert ended.phase == "ERROR" and ended.error_code == "deploy.interrupted"
    assert ended.error_message == INTERRUPTED
    assert runtime.stopped() == deployment_instances(app.id, new)
    assert deployer.phase(old) == "ACTIVE" and len(router.switches()) == switches
    assert router.active(app.id) == {"web": deployer.ports(old)}


@pytest.mark.parametrize("phase", [Phase.BUILDING, Phase.PENDING_DEPLOY])
def test_recover_ends_deployments_interrupted_before_the_swap(deployer: Deployer,
                                                              services: Services,
                                                              phase: Phase):
    dep = deployment_at(deployer, phase)
    Engine(services).recover()
    ended = services.store.get_deployment(dep.app_id, dep.id)
    assert (ended.phase, ended.error_code) == ("ERROR", "deploy.interrupted")
    assert services.store.phase_history(dep.id)[-1]["was"] == phase.value


def test_recover_leaves_pending_and_finished_deployments_alone(deployer: Deployer,
                                                                services: Services,
                                                                router: RecordingRouter):
    app, live = live_app(deployer, router)
    pending = deployer.queue(app)
    Engine(services).recover()
    assert (deployer.phase(live), deployer.phase(pending)) == ("ACTIVE", "PENDING_BUILD")


def test_recover_leaves_a_deployment_to_the_worker_that_holds_its_lock(
        deployer: Deployer, services: Services, runtime: RecordingRuntime):
    dep = deployment_at(deployer, Phase.DEPLOYING)
    with file_lock(deploy_lock_path(services.home, dep.app_id)):
        Engine(services).recover()
    assert deployer.phase(dep) == "DEPLOYING" and runtime.stopped() == []
