"""``Pipeline``: one deployment from PENDING_BUILD to ACTIVE, and every way it can fail.

Real git, a real Python build (no dependencies), real instance processes; the runtime and the
router are the recording doubles, so each test can say what started, what stopped and where
the router points.
"""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.deploy import swap
from dockyard.deploy.phases import Phase
from dockyard.deploy.platform import Platform
from dockyard.deploy.progress import leaves
from dockyard.deploy.services import Services
from dockyard.runtime import Instance
from dockyard.store import App, Deployment
from tests.deploy.conftest import (
    Deployer,
    get,
    job,
    source,
    tiny_spec,
    webhook_to,
    with_parts,
)
from tests.deploy.doubles import RecordingRouter, RecordingRuntime
from tests.source.gitrepo import git


@pytest.fixture(autouse=True)
def quick_drain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old release's minimum drain (1 s, tested in test_swap.py) shortened here."""
    monkeypatch.setattr(swap, "MIN_DRAIN_SECONDS", 0.1)


HAPPY_PATH = [("PENDING_BUILD", "BUILDING"), ("BUILDING", "PENDING_DEPLOY"),
              ("PENDING_DEPLOY", "DEPLOYING"), ("DEPLOYING", "ACTIVE")]


def serving(deployer: Deployer, spec: dict[str, Any]) -> tuple[App, Deployment]:
    """What serves before the deployment a test is about: hand-made releases, live (the
    deployment under test is the one that builds)."""
    ctx = deployer.live(spec)
    return ctx.app, ctx.dep


def history(deployer: Deployer, dep_id: str) -> list[tuple[str, str]]:
    return [(h["was"], h["phase"]) for h in deployer.store.phase_history(dep_id)]


def live(deployer: Deployer, router: RecordingRouter, app_id: str) -> str:
    """What the router's current target for ``web`` answers."""
    ports = router.active(app_id)["web"]
    return get(ports[0])[1]


def test_a_first_deployment_goes_live_through_every_phase(deployer: Deployer,
                                                          router: RecordingRouter):
    app = deployer.create(tiny_spec(deployer.repo))
    dep = deployer.deploy(app)
    assert dep.phase == "ACTIVE" and dep.error_code == ""
    assert history(deployer, dep.id) == HAPPY_PATH
    assert dep.progress["success_steps"] == dep.progress["total_steps"] == 6
    record = deployer.records(dep)["web"]
    assert record.commit == git(deployer.repo, "rev-parse", "HEAD")
    assert record.buildpack == "python" and record.app_dir is not None
    port = deployer.ports(dep)[0]
    assert router.switches() == [(app.id, {"web": [port]})]
    assert live(deployer, router, app.id).startswith("version=v1")
    log = deployer.log(dep)
    for line in (f"-----> Building service 'web' at {record.commit[:12]}",
                 "-----> Starting 1 instance(s) of service 'web': python app.py",
                 f"-----> web-0 is healthy (GET /health on 127.0.0.1:{port}",
                 f"-----> Deployment is live at http://127.0.0.1:{app.port}",
                 "-----> Phase ACTIVE (was DEPLOYING)"):
        assert line in log, line
    assert "Python buildpack for service 'web'" in deployer.log(dep, "build-web.log")


def test_progress_is_stored_as_each_step_runs(deployer: Deployer, runtime: RecordingRuntime):
    app = deployer.create(tiny_spec(deployer.repo))
    dep = deployer.queue(app)
    seen: list[dict[str, str]] = []

    def at_start(_instances: list[Instance]) -> None:
        stored = deployer.store.get_deployment(app.id, dep.id)
        seen.append({"phase": stored.phase, **{
            f"{s['name']}": s["status"] for s in stored.progress["steps"]}})

    runtime.start_hooks.append(at_start)
    deployer.run(dep)
    assert seen == [{"phase": "DEPLOYING", "build": "SUCCESS", "deploy": "RUNNING"}]


def test_a_deployment_is_never_seen_active_with_a_step_still_running(
        deployer: Deployer, monkeypatch: pytest.MonkeyPatch):
    """Whoever polls (``--wait``, pydo) sees ACTIVE only with every step done."""
    app = deployer.create(tiny_spec(deployer.repo))
    dep = deployer.queue(app)
    seen: list[tuple[int, int]] = []
    set_phase = deployer.store.set_phase

    def watched(d: Deployment, phase: str) -> Deployment:
        if phase == "ACTIVE":
            stored = deployer.store.get_deployment(d.app_id, d.id)
            seen.append((stored.progress["success_steps"], stored.progress["total_steps"]))
        return set_phase(d, phase)

    monkeypatch.setattr(deployer.store, "set_phase", watched)
    deployer.run(dep)
    assert seen == [(6, 6)]


def test_instance_count_starts_that_many_processes_and_switches_them_together(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app = deployer.create(tiny_spec(deployer.repo, instance_count=3))
    dep = deployer.deploy(app)
    ports = deployer.ports(dep)
    assert len(set(ports)) == 3 and app.port not in ports
    assert router.switches() == [(app.id, {"web": ports})]
    assert [i.alias for i in runtime.alive()] == ["web-0", "web-1", "web-2"]
    assert {get(p)[1].split()[1] for p in ports} == {f"pid={r.proc.pid}"  # three processes
                                                     for r in runtime.instances.values()
                                                     if r.proc}


def test_a_failed_build_ends_in_error_and_the_live_release_keeps_serving(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app, first = serving(deployer, tiny_spec(deployer.repo))
    app = deployer.update(app, tiny_spec(deployer.repo,
                                         build_command="echo compiling assets; exit 7"))
    failed = deployer.deploy(app)
    assert failed.phase == "ERROR" and failed.error_code == "build.command_failed"
    assert "exited with status 7" in failed.error_message
    assert "compiling assets" in deployer.log(failed, "build-web.log")
    assert f"Deployment failed [build.command_failed]: {failed.error_message}" \
        in deployer.log(failed)
    web = next(s for s in leaves(failed.progress["steps"]) if s.get("component_name") == "web"
               and s["status"] == "ERROR")
    assert web["reason"]["code"] == "build.command_failed"
    assert deployer.phase(first) == "ACTIVE"
    assert [i.deployment_id for i in runtime.started()] == [first.id]
    assert len(router.switches()) == 1
    assert live(deployer, router, app.id).startswith("version=v1")


def test_a_failing_pre_deploy_job_starts_nothing_and_runs_the_failed_deploy_jobs(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    repo = deployer.repo
    app, first = serving(deployer, tiny_spec(repo))
    deployer.commit({"version.txt": "v2\n"})
    app = deployer.update(app, with_parts(tiny_spec(repo), jobs=[
        job(repo, "migrate", "PRE_DEPLOY", "echo migrating the schema; exit 4"),
        job(repo, "cleanup", "FAILED_DEPLOY", "echo cleaning up after the failure")]))
    failed = deployer.deploy(app)
    assert failed.phase == "ERROR" and failed.error_code == "deploy.job_failed"
    assert failed.error_message == ("PRE_DEPLOY job 'migrate' failed: job 'migrate' exited "
                                    "with status 4")
    log = deployer.log(failed)
    assert "       migrating the schema" in log
    assert "-----> Running FAILED_DEPLOY job 'cleanup'" in log
    assert "       cleaning up after the failure" in log
    assert [i.deployment_id for i in runtime.started()] == [first.id]
    assert len(router.switches()) == 1 and deployer.phase(first) == "ACTIVE"
    assert live(deployer, router, app.id).startswith("version=v1")


def test_pre_deploy_jobs_run_on_the_new_release_before_it_starts(
        deployer: Deployer, runtime: RecordingRuntime):
    repo = deployer.repo
    order: list[str] = []
    runtime.job_hooks.append(lambda inst, _launch: order.append(f"job {inst.component}"))
    runtime.start_hooks.append(lambda insts: order.append(f"start {insts[0].component}"))
    deployer.commit({"version.txt": "v2\n"})
    app = deployer.create(with_parts(tiny_spec(repo), jobs=[
        job(repo, "migrate", "PRE_DEPLOY", "echo migrating to $(cat version.txt)"),
        job(repo, "announce", "POST_DEPLOY", "echo announcing")]))
    dep = deployer.deploy(app)
    assert dep.phase == "ACTIVE"
    assert order == ["job migrate", "start web", "job announce"]
    log = deployer.log(dep)
    assert "       migrating to v2" in log and "       announcing" in log


def test_a_failing_post_deploy_job_is_reported_and_the_deployment_stays_live(
        deployer: Deployer):
    repo = deployer.repo
    app = deployer.create(with_parts(tiny_spec(repo), jobs=[
        job(repo, "announce", "POST_DEPLOY", "echo cannot reach chat; exit 2")]))
    dep = deployer.deploy(app)
    assert dep.phase == "ACTIVE" and dep.error_code == ""
    assert (" !     POST_DEPLOY job 'announce' failed: job 'announce' exited with status 2"
            in deployer.log(dep))


def test_an_unhealthy_release_is_stopped_before_any_traffic_moves(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app, first = serving(deployer, tiny_spec(deployer.repo, health_check={
        "http_path": "/health", "period_seconds": 1, "failure_threshold": 1}))
    deployer.commit({"version.txt": "v2\n", "unhealthy": "yes\n"})
    failed = deployer.deploy(app)
    new_port = deployer.ports(failed)[0]
    assert failed.phase == "ERROR" and failed.error_code == "deploy.health_check_failed"
    assert failed.error_message == (f"health check failed: GET /health on 127.0.0.1:{new_port}"
                                    " did not pass within 1 s (last result: HTTP 500)")
    assert [i.deployment_id for i in runtime.stopped()] == [failed.id]
    assert [i.deployment_id for i in runtime.alive()] == [first.id]
    assert router.active(app.id) == {"web": deployer.ports(first)}
    log = deployer.log(failed)
    assert "Stopped 1 new instance(s); the previous release keeps serving" in log
    assert "Check the run log" in log  # the hint follows the error
    assert deployer.phase(first) == "ACTIVE"


def test_a_crash_looping_instance_fails_the_gate_with_its_last_log_lines(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app, first = serving(deployer, tiny_spec(deployer.repo))
    deployer.commit({"version.txt": "v2\n", "crash": "yes\n"})
    failed = deployer.deploy(app)
    assert failed.phase == "ERROR" and failed.error_code == "deploy.instance_exited"
    assert "crash-looping: restarted 3 times; last run log lines:" in failed.error_message
    assert "crashing on purpose: version v2" in failed.error_message
    assert "crashing on purpose: version v2" in deployer.log(failed)
    assert [i.deployment_id for i in runtime.stopped()] == [failed.id]
    assert router.active(app.id) == {"web": deployer.ports(first)}


def test_an_instance_that_exits_for_good_fails_with_its_state(services: Services,
                                                              deployer: Deployer,
                                                              runtime: RecordingRuntime):
    runtime.autorestart = False
    deployer.commit({"crash": "yes\n"})
    failed = deployer.deploy(deployer.create(tiny_spec(deployer.repo)))
    assert failed.error_code == "deploy.instance_exited"
    assert failed.error_message.startswith(
        "instance stopped before it became healthy: EXITED; last run log lines:\n")
    assert failed.error_message.endswith("crashing on purpose: version v1")


def test_a_worker_must_stay_up(deployer: Deployer, runtime: RecordingRuntime):
    runtime.autorestart = False
    repo = deployer.repo
    app = deployer.create(with_parts(tiny_spec(repo), workers=[
        source(repo, name="queue", run_command="echo no broker configured; exit 1")]))
    failed = deployer.deploy(app)
    assert failed.error_code == "deploy.instance_exited"
    assert failed.error_message == ("worker queue-0 stopped: EXITED; last run log lines:\n"
                                    "no broker configured")
    assert {i.alias for i in runtime.stopped()} == {"web-0", "queue-0"}


def test_a_running_worker_goes_live_with_the_services(deployer: Deployer,
                                                      router: RecordingRouter):
    repo = deployer.repo
    app = deployer.create(with_parts(tiny_spec(repo), workers=[
        source(repo, name="queue", run_command="echo consuming; exec sleep 300")]))
    dep = deployer.deploy(app)
    assert dep.phase == "ACTIVE"
    assert "-----> Worker queue-0 is running" in deployer.log(dep)
    records = deployer.records(dep)
    assert [i.port for i in records["queue"].instances] == [None]
    assert list(router.switches()[0][1]) == ["web"]  # workers get no route


def test_canceling_during_the_gate_stops_the_new_instances_and_switches_nothing(
        services: Services, deployer: Deployer, router: RecordingRouter,
        runtime: RecordingRuntime):
    app, first = serving(deployer, tiny_spec(deployer.repo))
    deployer.commit({"version.txt": "v2\n"})
    dep = deployer.queue(app)
    platform = Platform(services.home, services.settings, services.store)
    runtime.start_hooks.append(lambda _insts: platform.cancel(app, dep.id))
    canceled = deployer.run(dep)
    assert canceled.phase == "CANCELED" and canceled.error_code == "deploy.canceled"
    assert history(deployer, dep.id)[-1] == ("DEPLOYING", "CANCELED")
    assert [i.deployment_id for i in runtime.stopped()] == [dep.id]
    assert len(router.switches()) == 1 and deployer.phase(first) == "ACTIVE"
    log = deployer.log(canceled)
    assert "Deployment failed [deploy.canceled]: the deployment was canceled" in log
    assert "Stopped 1 new instance(s); the previous release keeps serving" in log
    assert live(deployer, router, app.id).startswith("version=v1")


def test_canceling_during_a_pre_deploy_job_starts_no_instance(services: Services,
                                                             deployer: Deployer,
                                                             runtime: RecordingRuntime):
    repo = deployer.repo
    app = deployer.create(with_parts(tiny_spec(repo), jobs=[
        job(repo, "migrate", "PRE_DEPLOY", "echo migrating")]))
    dep = deployer.queue(app)
    platform = Platform(services.home, services.settings, services.store)
    runtime.job_hooks.append(lambda _inst, _launch: platform.cancel(app, dep.id))
    canceled = deployer.run(dep)
    assert canceled.phase == "CANCELED" and runtime.started() == []
    assert "-----> Job 'migrate' succeeded" in deployer.log(canceled)


def test_a_second_deployment_supersedes_the_first_and_stops_it_after_the_switch(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app = deployer.create(tiny_spec(deployer.repo))
    first = deployer.deploy(app)
    deployer.commit({"version.txt": "v2\n"})
    second = deployer.deploy(app)
    assert (deployer.phase(first), second.phase) == ("SUPERSEDED", "ACTIVE")
    assert router.active(app.id) == {"web": deployer.ports(second)}
    assert live(deployer, router, app.id).startswith("version=v2")
    assert [i.deployment_id for i in runtime.stopped()] == [first.id]
    assert [i.deployment_id for i in runtime.alive()] == [second.id]
    assert "-----> Stopped 1 old instance(s) after" in deployer.log(second)
    assert set(deployer.ports(first)).isdisjoint(deployer.ports(second))


def test_router_refusing_the_switch_fails_the_deployment_and_stops_the_new_release(
        deployer: Deployer, router: RecordingRouter, runtime: RecordingRuntime):
    app, first = serving(deployer, tiny_spec(deployer.repo))
    router.refuse_switch = "HAProxy's runtime API failed during the switch: broken pipe"
    failed = deployer.deploy(app)
    assert failed.phase == "ERROR" and failed.error_code == "router.runtime_api"
    assert failed.error_message == router.refuse_switch
    assert [i.deployment_id for i in runtime.stopped()] == [failed.id]
    assert deployer.phase(first) == "ACTIVE"
    assert router.active(app.id) == {"web": deployer.ports(first)}


def test_a_stored_value_encrypted_elsewhere_fails_before_building(deployer: Deployer,
                                                          runtime: RecordingRuntime):
    spec = tiny_spec(deployer.repo)
    spec["envs"] = [{"key": "STRIPE_KEY", "type": "SECRET",
                     "value": "EV[1:do-key-id:c2VjcmV0IGZyb20gZGlnaXRhbG9jZWFu]"}]
    failed = deployer.deploy(deployer.create_unchecked(spec))
    assert failed.phase == "ERROR" and failed.error_code == "secrets.foreign_value"
    assert failed.error_message.startswith("STRIPE_KEY (envs[0].value): this SECRET value was "
                                           "encrypted elsewhere")
    assert deployer.log(failed, "build-web.log") == "" and runtime.calls == []
    assert history(deployer, failed.id) == [("PENDING_BUILD", "BUILDING"),
                                            ("BUILDING", "ERROR")]


def test_secrets_reach_the_process_sealed_and_stay_out_of_the_deploy_log(
        deployer: Deployer, runtime: RecordingRuntime, router: RecordingRouter):
    spec = tiny_spec(deployer.repo)
    spec["services"][0]["envs"].append({"key": "GREETING", "type": "SECRET",
                                        "value": "hello-from-a-secret"})
    app = deployer.create(spec)
    assert "hello-from-a-secret" not in str(app.spec)  # encrypted on save
    dep = deployer.deploy(app)
    launch = next(iter(runtime.instances.values())).launch
    assert launch.env["GREETING"].startswith("EV[1:dky-") and "GREETING" in launch.sealed
    assert get(router.active(app.id)["web"][0], "/greeting")[1] == "hello-from-a-secret\n"
    assert "hello-from-a-secret" not in deployer.log(dep)


def test_static_sites_are_published_with_the_switch(deployer: Deployer,
                                                    router: RecordingRouter):
    repo = deployer.repo
    spec = with_parts(tiny_spec(repo), static_sites=[
        source(repo, name="docs", source_dir="site", routes=[{"path": "/docs"}])])
    app = deployer.create(spec)
    dep = deployer.deploy(app)
    assert dep.phase == "ACTIVE"
    site = deployer.records(dep)["docs"].site_dir
    assert site is not None and router.sites == {(app.id, "docs"): site}
    assert (site / "index.html").read_text().startswith("<!doctype html>")
    routing = router.table[app.id]
    assert [(r.prefix, r.component) for r in routing.routes] == [("/", "web"), ("/docs", "docs")]
    assert [s.component for s in routing.sites] == ["docs"]
    names = [n for n, _args in router.calls if n in ("apply", "publish_site", "switch")]
    assert names == ["apply", "publish_site", "switch"]


def test_a_rollback_reuses_the_kept_release_without_building(deployer: Deployer,
                                                             router: RecordingRouter,
                                                             runtime: RecordingRuntime):
    from dockyard.deploy import rollback

    app, first = serving(deployer, tiny_spec(deployer.repo))
    deployer.commit({"version.txt": "v2\n"})
    deployer.deploy(app)
    back = deployer.run(rollback.rollback(deployer.services, app, first.id))
    assert back.phase == "ACTIVE" and back.cloned_from == first.id
    assert f"-----> Reusing the releases of deployment {first.id} (no rebuild)" \
        in deployer.log(back)
    assert deployer.log(back, "build-web.log") == ""
    assert deployer.records(back)["web"].release == deployer.records(first)["web"].release
    assert live(deployer, router, app.id).startswith("version=v1")
    assert deployer.store.get_app(app.id).pinned_deployment_id == back.id


def test_rolling_back_to_a_pruned_release_fails_naming_it(deployer: Deployer,
                                                          services: Services):
    import shutil

    from dockyard.deploy import rollback

    app, first = serving(deployer, tiny_spec(deployer.repo))
    deployer.deploy(app)
    shutil.rmtree(services.home.releases(app.id) / first.id)
    failed = deployer.run(rollback.rollback(services, app, first.id, skip_pin=True))
    assert failed.phase == "ERROR" and failed.error_code == "rollback.release_missing"
    assert failed.error_message == (f"the release of 'web' in deployment {first.id} "
                                    "was pruned")
    assert Phase(deployer.phase(failed)) == Phase.ERROR


def test_started_and_failed_alerts_reach_the_apps_webhook(deployer: Deployer,
                                                          services: Services, receiver):  # type: ignore[no-untyped-def]
    spec = tiny_spec(deployer.repo, build_command="exit 9")
    spec["alerts"] = [{"rule": "DEPLOYMENT_STARTED"}, {"rule": "DEPLOYMENT_FAILED"},
                      {"rule": "DEPLOYMENT_LIVE"}]
    app = deployer.create(spec)
    for rule in ("DEPLOYMENT_STARTED", "DEPLOYMENT_FAILED", "DEPLOYMENT_LIVE"):
        webhook_to(services, app, rule, f"{receiver.url}/{rule}")
    failed = deployer.deploy(app)
    assert services.alerts.drain(10)
    assert [r.path for r in receiver.requests] == ["/DEPLOYMENT_STARTED", "/DEPLOYMENT_FAILED"]
    assert (f"Deployment {failed.id} of tiny failed: build.command_failed: "
            in str(receiver.requests[1].body))


def restart_of(deployer: Deployer, app: App, live_dep: Deployment,
               components: list[str]) -> Deployment:
    """What ``apps restart APP [--components …]`` queues (``Platform.restart``), then run."""
    return deployer.run(deployer.queue(
        app, cause="restart", cloned_from=live_dep.id, spec_version=live_dep.spec_version,
        options={"restart": True, "components": components}))


def test_restarting_named_components_keeps_the_others_running(deployer: Deployer,
                                                               router: RecordingRouter,
                                                               runtime: RecordingRuntime):
    repo = deployer.repo
    spec = with_parts(tiny_spec(repo), workers=[
        source(repo, name="queue", run_command="echo consuming; exec sleep 600")])
    app, first = serving(deployer, spec)
    web_before, [queue_before] = deployer.ports(first), deployer.records(first)["queue"].instances
    dep = restart_of(deployer, app, first, ["web"])
    assert dep.phase == "ACTIVE"
    assert deployer.ports(dep) != web_before  # web: new instances, through the gate
    assert router.active(app.id)["web"] == deployer.ports(dep)
    [kept] = deployer.records(dep)["queue"].instances
    assert (kept.program, kept.deployment) == (queue_before.program, first.id)
    stopped = {i.program for i in runtime.stopped()}
    assert queue_before.program not in stopped  # the worker went on running
    assert {i.component for i in runtime.stopped()} == {"web"}  # the old web was retired
    assert "Keeping 1 running instance(s) of worker 'queue' (not restarted)" in deployer.log(dep)
    assert deployer.log(dep, "run-queue-0.log").startswith("consuming")

    whole = restart_of(deployer, app, dep, [])  # no names: every instance is new
    assert whole.phase == "ACTIVE"
    assert queue_before.program in {i.program for i in runtime.stopped()}
    assert all(not i.deployment for r in deployer.records(whole).values() for i in r.instances)
