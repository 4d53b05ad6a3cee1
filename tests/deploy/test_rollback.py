"""Rollback in DigitalOcean's shape: validate, rollback (pinned or not), commit, revert.

These are records only (the pipeline tests run a rollback deployment end to end).
"""

from __future__ import annotations

import pytest

from dockyard.deploy import rollback
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError, NotFound
from dockyard.store import App, Deployment
from tests.deploy.conftest import Deployer, tiny_spec


def history(deployer: Deployer, app: App, *phases: str) -> list[Deployment]:
    """Deployments of ``app`` created in this order and left in these phases."""
    out = []
    for phase in phases:
        dep = deployer.queue(app)
        out.append(deployer.store.set_phase(dep, phase))
    return out


@pytest.fixture
def app(deployer: Deployer) -> App:
    return deployer.create(tiny_spec(deployer.repo))


def test_the_default_target_is_the_release_live_before_the_current_one(
        deployer: Deployer, services: Services, app: App):
    older, previous, _current = history(deployer, app, "SUPERSEDED", "SUPERSEDED", "ACTIVE")
    assert rollback.previous_active(services, app).id == previous.id
    assert rollback.validate(services, app, None) == {"valid": True, "warnings": []}
    assert rollback.validate(services, app, older.id)["valid"] is True


def test_an_app_with_nothing_earlier_cannot_roll_back(deployer: Deployer, services: Services,
                                                      app: App):
    history(deployer, app, "ERROR", "ACTIVE")
    assert rollback.validate(services, app, None) == {"valid": False, "warnings": [], "error": {
        "code": "rollback.no_target", "components": [],
        "message": "app tiny has no earlier successful deployment to roll back to"}}


@pytest.mark.parametrize(("phase", "message"), [
    ("ERROR", "is ERROR: only deployments that went live can be rolled back to"),
    ("CANCELED", "is CANCELED: only deployments that went live can be rolled back to"),
    ("ACTIVE", "is already live")])
def test_targets_that_never_went_live_or_are_live_are_refused(deployer: Deployer,
                                                               services: Services, app: App,
                                                               phase: str, message: str):
    [target] = history(deployer, app, phase)
    result = rollback.validate(services, app, target.id)
    assert result["valid"] is False and result["error"]["code"] == "incompatible_phase"
    assert result["error"]["message"] == f"deployment {target.id} {message}"


def test_only_the_kept_releases_can_be_targets(deployer: Deployer, services: Services,
                                               app: App):
    services.settings.keep_releases = 2
    too_old, kept, _live = history(deployer, app, "SUPERSEDED", "SUPERSEDED", "ACTIVE")
    assert rollback.validate(services, app, kept.id)["valid"] is True
    error = rollback.validate(services, app, too_old.id)["error"]
    assert error["code"] == "exceeded_revision_limit"
    assert error["message"] == (f"deployment {too_old.id} is older than the last 2 kept "
                                "releases")


def test_an_unknown_target_is_not_found(services: Services, app: App):
    with pytest.raises(NotFound, match="deployment 'nope' of app"):
        rollback.validate(services, app, "nope")


def test_a_target_with_other_databases_warns_that_data_is_not_rolled_back(
        deployer: Deployer, services: Services, app: App):
    [target] = history(deployer, app, "SUPERSEDED")
    spec = tiny_spec(deployer.repo)
    spec["databases"] = [{"name": "db", "engine": "PG"}]
    app = deployer.update(app, spec)
    history(deployer, app, "ACTIVE")
    result = rollback.validate(services, app, target.id)
    assert result["valid"] is True
    assert result["warnings"] == [{"code": "database_config_conflict", "components": [],
                                   "message": "the target deployment has other databases; "
                                              "data is not rolled back"}]


def test_rollback_deploys_the_targets_spec_version_and_pins_the_app(deployer: Deployer,
                                                                    services: Services,
                                                                    app: App):
    [target] = history(deployer, app, "SUPERSEDED")
    app = deployer.update(app, tiny_spec(deployer.repo, instance_count=2))
    history(deployer, app, "ACTIVE")
    dep = rollback.rollback(services, app, None)
    assert (dep.phase, dep.cloned_from, dep.spec_version) == ("PENDING_BUILD", target.id, 1)
    assert (dep.cause, dep.cause_type) == (f"rollback to {target.id}", "MANUAL_ROLLBACK")
    assert services.store.get_app(app.id).pinned_deployment_id == dep.id


def test_rollback_with_skip_pin_leaves_deploy_on_push_running(deployer: Deployer,
                                                             services: Services, app: App):
    history(deployer, app, "SUPERSEDED", "ACTIVE")
    rollback.rollback(services, app, None, skip_pin=True)
    assert services.store.get_app(app.id).pinned_deployment_id is None


def test_a_refused_rollback_creates_nothing(deployer: Deployer, services: Services, app: App):
    [failed] = history(deployer, app, "ERROR")
    with pytest.raises(DockyardError) as err:
        rollback.rollback(services, app, failed.id)
    assert err.value.code == "incompatible_phase"
    assert [d.id for d in services.store.list_deployments(app.id)] == [failed.id]
    assert services.store.get_app(app.id).pinned_deployment_id is None


def backup(services: Services, app: App, database: str, name: str) -> None:
    folder = services.home.app(app.id) / "backups" / database
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"PGDMP")


def test_rollback_with_data_restores_the_backup_taken_after_the_target(
        deployer: Deployer, services: Services, app: App):
    target, after, _live = history(deployer, app, "SUPERSEDED", "SUPERSEDED", "ACTIVE")
    backup(services, app, "db", f"20240101T000000Z-before-{after.id[:8]}.dump")
    backup(services, app, "db", "20240102T000000Z-manual.dump")
    dep = rollback.rollback(services, app, target.id, with_data=True)
    assert dep.options == {"restore": {"db": f"20240101T000000Z-before-{after.id[:8]}.dump"}}
    assert dep.cause == f"rollback to {target.id} with data"


def test_rollback_with_data_needs_an_automatic_backup(deployer: Deployer, services: Services,
                                                      app: App):
    target, _live = history(deployer, app, "SUPERSEDED", "ACTIVE")
    backup(services, app, "db", "20240102T000000Z-manual.dump")
    with pytest.raises(DockyardError) as err:
        rollback.rollback(services, app, target.id, with_data=True)
    assert err.value.code == "rollback.no_backup"
    assert "roll back without --with-data" in (err.value.hint or "")
    assert len(services.store.list_deployments(app.id)) == 2


def test_commit_unpins(deployer: Deployer, services: Services, app: App):
    history(deployer, app, "SUPERSEDED", "ACTIVE")
    rollback.rollback(services, app, None)
    rollback.commit(services, services.store.get_app(app.id))
    assert services.store.get_app(app.id).pinned_deployment_id is None


def test_revert_deploys_what_was_live_before_the_rollback(deployer: Deployer,
                                                          services: Services, app: App):
    target, before = history(deployer, app, "SUPERSEDED", "ACTIVE")
    pinned = rollback.rollback(services, app, target.id)
    deployer.store.set_phase(pinned, "ACTIVE")
    deployer.store.set_phase(before, "SUPERSEDED")
    dep = rollback.revert(services, services.store.get_app(app.id))
    assert (dep.cloned_from, dep.cause) == (before.id, f"revert rollback {pinned.id}")
    assert dep.cause_type == "MANUAL_ROLLBACK"
    assert services.store.get_app(app.id).pinned_deployment_id is None


def test_revert_without_a_pinned_rollback_is_refused(deployer: Deployer, services: Services,
                                                     app: App):
    history(deployer, app, "SUPERSEDED", "ACTIVE")
    with pytest.raises(DockyardError) as err:
        rollback.revert(services, app)
    assert (err.value.code, err.value.message) == ("rollback.not_pinned",
                                                   "app tiny has no rollback to revert")
