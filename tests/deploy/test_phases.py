"""The deployment phase table: DigitalOcean's names, only allowed moves, each recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.deploy.phases import TRANSITIONS, InvalidTransition, Phase, transition
from dockyard.store import Store


@pytest.fixture
def dep(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "d.db")
    app = store.create_app("app", {"name": "app"}, "name: app\n", [])
    return store, store.create_deployment(app, phase="PENDING_BUILD", cause="test")


def test_the_happy_path_is_allowed_and_recorded(dep):  # type: ignore[no-untyped-def]
    store, d = dep
    for phase in (Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING, Phase.ACTIVE,
                  Phase.SUPERSEDED):
        d = transition(store, d, phase)
    history = [(h["was"], h["phase"]) for h in store.phase_history(d.id)]
    assert history == [("PENDING_BUILD", "BUILDING"), ("BUILDING", "PENDING_DEPLOY"),
                       ("PENDING_DEPLOY", "DEPLOYING"), ("DEPLOYING", "ACTIVE"),
                       ("ACTIVE", "SUPERSEDED")]


@pytest.mark.parametrize("start,to", [("PENDING_BUILD", "ACTIVE"), ("ERROR", "ACTIVE"),
                                      ("CANCELED", "BUILDING"), ("ACTIVE", "ERROR")])
def test_moves_outside_the_table_are_refused_and_change_nothing(dep, start, to):  # type: ignore[no-untyped-def]
    store, d = dep
    d = store.set_phase(d, start)
    with pytest.raises(InvalidTransition):
        transition(store, d, Phase(to))
    assert store.get_deployment(d.app_id, d.id).phase == start


def test_terminal_phases_go_nowhere():
    for phase in (Phase.ERROR, Phase.CANCELED, Phase.SUPERSEDED):
        assert TRANSITIONS[phase] == frozenset()


def test_going_live_supersedes_the_deployment_that_served_at_once(dep, tmp_path):  # type: ignore[no-untyped-def]
    from dockyard.logs import Log

    store, first = dep
    first = store.set_phase(first, "ACTIVE")
    second = store.set_phase(store.create_deployment(store.get_app(first.app_id),
                                                     phase="PENDING_BUILD", cause="test"),
                             "DEPLOYING")
    log = Log(tmp_path / "deploy.log")
    transition(store, second, Phase.ACTIVE, log)
    log.close()
    live = store.list_deployments(first.app_id, phases=("ACTIVE",))
    assert [d.id for d in live] == [second.id]  # never two ACTIVE, not even for a moment
    assert store.get_deployment(first.app_id, first.id).phase == "SUPERSEDED"
    assert f"-----> Deployment {first.id} is SUPERSEDED" in (tmp_path / "deploy.log").read_text()
