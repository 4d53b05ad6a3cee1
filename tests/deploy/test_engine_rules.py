"""The engine's rules for pending and ended deployments (real store, a recording runtime).

A user's rollback is never cancelled by a restart queued behind it; a restart restarts what
is live when it runs; instances of ended deployments do not outlive them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from dockyard.deploy.engine import Engine
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.services import Services
from dockyard.deploy.worker import retarget_restart
from dockyard.paths import Home
from dockyard.release.record import ComponentRecord, InstanceRecord
from dockyard.runtime import Instance
from dockyard.settings import Settings
from dockyard.store import App, Deployment, Store


class RecordingRuntime:
    """A test double of ``Runtime``: what runs is a set of program names."""

    def __init__(self) -> None:
        self.programs: set[str] = set()
        self.stopped: list[str] = []

    def running(self, app_id: str) -> set[str]:
        return {p for p in self.programs if p.startswith(f"i-{app_id[:8]}-")}

    def stop(self, instances: Sequence[Instance]) -> None:
        for inst in instances:
            self.programs.discard(inst.program)
            self.stopped.append(inst.program)


@pytest.fixture
def world(tmp_path: Path) -> tuple[Services, RecordingRuntime, App]:
    home = Home(tmp_path / "home")
    home.root.mkdir()
    store = Store(home.db)
    runtime = RecordingRuntime()
    services = Services(home, Settings(), store, runtime_override=runtime)  # type: ignore[arg-type]
    app = store.create_app("shop", {"name": "shop"}, "name: shop\n", [], port=40000)
    return services, runtime, app


def deployment(services: Services, app: App, phase: Phase, **kw: object) -> Deployment:
    dep = services.store.create_deployment(app, phase=Phase.PENDING_BUILD.value,
                                           cause=str(kw.pop("cause", "test")), **kw)  # type: ignore[arg-type]
    for step in {Phase.ACTIVE: (Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING,
                                Phase.ACTIVE),
                 Phase.ERROR: (Phase.BUILDING, Phase.ERROR),
                 Phase.PENDING_BUILD: ()}[phase]:
        dep = transition(services.store, dep, step)
    return dep


def with_instance(services: Services, dep: Deployment, runtime: RecordingRuntime) -> Instance:
    inst = Instance(dep.app_id, dep.id, "web", 0, 41000)
    record = ComponentRecord("web", "service", "abc", Path("/nonexistent"),
                             instances=[InstanceRecord(0, 41000, inst.program)])
    services.store.update_deployment(dep, components=[record.to_dict()])
    runtime.programs.add(inst.program)
    return inst


def test_a_restart_queued_behind_a_rollback_does_not_cancel_it(world):  # type: ignore[no-untyped-def]
    services, _runtime, app = world
    live = deployment(services, app, Phase.ACTIVE)
    rollback = deployment(services, app, Phase.PENDING_BUILD, cause="rollback",
                          cloned_from=live.id, cause_type="MANUAL_ROLLBACK")
    restart = deployment(services, app, Phase.PENDING_BUILD, cause="restart",
                         cloned_from=live.id, options={"restart": True})
    engine = Engine(services)
    assert engine.next_deployment(app.id) == rollback.id
    restart = services.store.get_deployment(app.id, restart.id)
    assert restart.phase == Phase.CANCELED
    assert restart.error_code == "deploy.coalesced" and rollback.id in restart.error_message


def test_the_newest_of_two_updates_wins(world):  # type: ignore[no-untyped-def]
    services, _runtime, app = world
    older = deployment(services, app, Phase.PENDING_BUILD)
    newer = deployment(services, app, Phase.PENDING_BUILD)
    assert Engine(services).next_deployment(app.id) == newer.id
    assert services.store.get_deployment(app.id, older.id).phase == Phase.CANCELED


def test_a_restart_restarts_what_is_live_when_it_runs(world):  # type: ignore[no-untyped-def]
    services, _runtime, app = world
    before = deployment(services, app, Phase.ACTIVE)
    restart = deployment(services, app, Phase.PENDING_BUILD, cause="restart",
                         cloned_from=before.id, options={"restart": True})
    transition(services.store, before, Phase.SUPERSEDED)
    rolled_back = deployment(services, app, Phase.ACTIVE)  # went live while restart waited
    retarget_restart(services, app.id, restart.id)
    assert services.store.get_deployment(app.id, restart.id).cloned_from == rolled_back.id


def test_instances_of_ended_deployments_are_stopped_at_start_up(world):  # type: ignore[no-untyped-def]
    services, runtime, app = world
    live = deployment(services, app, Phase.ACTIVE)
    failed = deployment(services, app, Phase.ERROR)
    kept = with_instance(services, live, runtime)
    leaked = with_instance(services, failed, runtime)
    Engine(services).recover()
    assert runtime.stopped == [leaked.program]
    assert runtime.programs == {kept.program}
