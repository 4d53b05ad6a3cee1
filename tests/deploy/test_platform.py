"""``Platform``, the API's facade: what it records, what it refuses, what it stops.

The engine is stopped, so every deployment stays in PENDING_BUILD where a test can read it;
the runtime and router are the recording doubles.
"""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.platform import Platform
from dockyard.deploy.services import Services
from dockyard.errors import Conflict, DockyardError
from dockyard.store import App
from tests.deploy.conftest import Deployer, tiny_spec, webhook_to
from tests.deploy.doubles import RecordingRouter, RecordingRuntime


def checked(deployer: Deployer, **web: Any) -> dict[str, Any]:
    from dockyard.deploy.specs import check

    return check(data=tiny_spec(deployer.repo, **web))


@pytest.fixture
def app(platform: Platform, deployer: Deployer) -> App:
    return platform.create_app(checked(deployer))


def test_create_app_gives_the_app_its_own_port_and_queues_the_first_deployment(
        platform: Platform, app: App):
    settings = platform.settings
    assert app.port not in (None, settings.api_port, settings.router_port)
    assert platform.settings.live_url(app.port, app.name) == f"http://127.0.0.1:{app.port}"
    [dep] = platform.store.list_deployments(app.id)
    assert (dep.phase, dep.cause, dep.cause_type) == ("PENDING_BUILD", "initial deployment",
                                                      "MANUAL")


def test_a_reserved_name_is_refused_and_nothing_is_stored(platform: Platform,
                                                          deployer: Deployer):
    spec = checked(deployer)
    spec["name"] = "propose"
    with pytest.raises(DockyardError) as err:
        platform.create_app(spec)
    assert err.value.code == "spec.invalid"
    assert err.value.message == "name: 'propose' is reserved by the API; choose another app name"
    assert platform.store.list_apps() == []


def test_a_second_app_with_the_same_name_conflicts(platform: Platform, deployer: Deployer,
                                                   app: App):
    with pytest.raises(Conflict, match="an app named 'tiny' already exists"):
        platform.create_app(checked(deployer))
    assert len(platform.store.list_apps()) == 1


def test_update_app_stores_a_new_spec_version_and_deploys_it(platform: Platform,
                                                             deployer: Deployer, app: App):
    updated = platform.update_app(app, checked(deployer, instance_count=2))
    assert updated.spec_version == 2
    assert updated.spec["services"][0]["instance_count"] == 2
    newest = platform.store.list_deployments(app.id)[0]
    assert (newest.cause, newest.spec_version) == ("app spec updated", 2)


def test_a_pinned_app_refuses_new_deployments_and_spec_updates(platform: Platform,
                                                               deployer: Deployer, app: App):
    platform.store.set_pin(app.id, "rollback-dep")
    app = platform.store.get_app(app.id)
    for attempt in (lambda: platform.deploy(app, cause="push"),
                    lambda: platform.update_app(app, checked(deployer, instance_count=3)),
                    lambda: platform.restart(app)):
        with pytest.raises(Conflict) as err:
            attempt()
        assert err.value.code == "app_pinned" and err.value.status == 409
        assert "dockyard apps rollback-commit" in (err.value.hint or "")
    assert len(platform.store.list_deployments(app.id)) == 1
    assert platform.store.get_app(app.id).spec_version == 1


def test_restart_redeploys_the_live_release_without_a_build(platform: Platform, app: App):
    [first] = platform.store.list_deployments(app.id)
    platform.store.set_phase(first, Phase.ACTIVE.value)
    dep = platform.restart(app)
    assert (dep.cause, dep.cloned_from, dep.spec_version) == ("restart", first.id, 1)


def test_restart_of_an_app_that_never_went_live_is_a_plain_deployment(platform: Platform,
                                                                      app: App):
    dep = platform.restart(app)
    assert (dep.cause, dep.cloned_from) == ("restart", "")


def test_cancel_ends_queued_and_running_deployments_but_not_finished_ones(
        platform: Platform, app: App):
    [queued] = platform.store.list_deployments(app.id)
    assert platform.cancel(app, queued.id).phase == "CANCELED"
    running = transition(platform.store, platform.deploy(app, cause="push"), Phase.BUILDING)
    assert platform.cancel(app, running.id).phase == "CANCELED"
    done = platform.store.set_phase(platform.deploy(app, cause="push"), Phase.ACTIVE.value)
    assert platform.cancel(app, done.id).phase == "ACTIVE"


def test_canceling_a_queued_deployment_alerts_at_once(platform: Platform, deployer: Deployer,
                                                      receiver):  # type: ignore[no-untyped-def]
    spec = checked(deployer)
    spec["spec"]["alerts"] = [{"rule": "DEPLOYMENT_CANCELED"}]
    app = platform.create_app(spec)
    webhook_to(platform.services, app, "DEPLOYMENT_CANCELED", receiver.url + "/hook")
    [dep] = platform.store.list_deployments(app.id)
    platform.cancel(app, dep.id)
    assert platform.services.alerts.drain(10)
    [sent] = receiver.requests
    assert f"Deployment {dep.id} of tiny was canceled" in str(sent.body)
    [delivery] = platform.store.deliveries(app.id)
    assert (delivery["rule"], delivery["status"]) == ("DEPLOYMENT_CANCELED", "delivered")


def test_delete_app_stops_its_processes_drops_its_routes_and_keeps_its_backups(
        platform: Platform, runtime: RecordingRuntime, router: RecordingRouter, app: App):
    home = platform.home
    backups = home.app(app.id) / "backups" / "db"
    backups.mkdir(parents=True)
    (backups / "20240101T000000Z-manual.dump").write_bytes(b"PGDMP")
    home.router.mkdir(parents=True)
    (home.router / "state.json").write_text("{}")  # the router has been set up
    platform.delete_app(app)
    assert ("remove_app", app.id) in runtime.calls and ("remove", app.id) in router.calls
    assert platform.store.find_app(app.id) is None and not home.app(app.id).exists()
    kept = home.root / "backups" / f"tiny-{app.id[:8]}" / "db" / "20240101T000000Z-manual.dump"
    assert kept.read_bytes() == b"PGDMP"


def test_delete_app_before_the_router_exists_touches_no_router(platform: Platform,
                                                               router: RecordingRouter,
                                                               app: App):
    platform.delete_app(app)
    assert router.calls == []


def test_log_tail_shows_the_end_of_a_failed_deployments_logs(platform: Platform, app: App):
    [dep] = platform.store.list_deployments(app.id)
    folder = platform.home.logs(app.id) / dep.id
    folder.mkdir(parents=True)
    (folder / "build-web.log").write_text("-----> building\n !     exit 7\n")
    (folder / "deploy.log").write_text("".join(f"line {n}\n" for n in range(40)))
    assert platform.log_tail(app, dep) == []  # not failed: nothing to explain
    dep = platform.store.set_phase(dep, Phase.ERROR.value)
    tail = platform.log_tail(app, dep, lines=5)
    assert tail == [f"line {n}" for n in range(35, 40)]
    assert platform.log_tail(app, dep, lines=42)[:2] == ["-----> building", " !     exit 7"]


def test_the_webhook_secret_is_made_once_and_stored_encrypted(platform: Platform, app: App):
    secret = platform.webhook_secret(app)
    stored = platform.store.get_app(app.id)
    assert len(secret) == 40 and stored.webhook_secret is not None
    assert stored.webhook_secret.startswith("EV[1:dky-") and secret not in stored.webhook_secret
    assert platform.webhook_secret(stored) == secret


def test_propose_says_whether_the_name_is_free(platform: Platform, deployer: Deployer,
                                               app: App):
    spec = checked(deployer)
    taken = platform.propose(spec, None)
    assert taken["app_name_available"] is False and taken["app_name_suggestion"] == "tiny-2"
    assert platform.propose(spec, app.id)["app_name_available"] is True  # its own name
    spec["name"] = "other"
    assert "app_name_suggestion" not in platform.propose(spec, None)


def test_used_ports_cover_the_control_plane_apps_and_instances(platform: Platform,
                                                               deployer: Deployer, app: App):
    from dockyard.release.record import InstanceRecord

    [dep] = platform.store.list_deployments(app.id)
    record = deployer.release(dep)
    record.instances = [InstanceRecord(0, 40123, "i-web-0")]
    platform.store.update_deployment(dep, components=[record.to_dict()])
    settings = platform.settings
    assert {settings.api_port, settings.router_port, app.port, 40123} <= platform.used_ports()


def test_a_failed_deployment_stops_its_own_instances_not_those_it_kept(
        platform: Platform, runtime: RecordingRuntime, deployer: Deployer, app: App):
    from dockyard.release.record import InstanceRecord

    [dep] = platform.store.list_deployments(app.id)
    record = deployer.release(dep)
    record.instances = [InstanceRecord(0, 40123, "p0"), InstanceRecord(1, 40124, "p1"),
                        InstanceRecord(2, 40125, "p2", deployment="0ld-live-deployment")]
    dep = platform.store.update_deployment(dep, components=[record.to_dict()])
    platform.engine.stop_instances(app.id, dep)
    assert [(i.alias, i.port) for i in runtime.stopped()] == [("web-0", 40123), ("web-1", 40124)]


def test_start_recovers_and_runs_the_watchers_until_stop(services: Services):
    services.settings.push_poll_seconds = 0  # the push watcher stays off
    platform = Platform(services.home, services.settings, services.store)
    platform.start()
    push, *others = platform.watchers
    assert not push.thread.is_alive() and others
    assert all(w.thread.is_alive() for w in others)  # the scheduler, the metrics sampler
    platform.stop()
    for watcher in others:
        watcher.thread.join(10)
    assert not any(w.thread.is_alive() for w in others)
