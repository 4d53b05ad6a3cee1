"""Jobs: durations, which jobs run when, and what a failure does (real processes)."""

from __future__ import annotations

import pytest

from dockyard.deploy import jobs
from dockyard.deploy.context import DeployContext
from dockyard.errors import DockyardError
from tests.deploy.conftest import Deployer, bindings, job, tiny_spec, with_parts
from tests.deploy.doubles import RecordingRuntime


@pytest.mark.parametrize(("duration", "seconds"), [
    ("1h30m", 5400.0), ("90s", 90.0), ("250ms", 0.25), ("2m3s", 123.0), ("1.5s", 1.5),
    (None, jobs.DEFAULT_TIMEOUT), ("", jobs.DEFAULT_TIMEOUT), ("soon", jobs.DEFAULT_TIMEOUT)])
def test_go_durations_become_seconds(duration: str | None, seconds: float):
    assert jobs.seconds(duration) == seconds


def with_jobs(deployer: Deployer, *commands: tuple[str, str, str], **extra: str
              ) -> DeployContext:
    repo = deployer.repo
    parts = [job(repo, name, kind, command) | extra for name, kind, command in commands]
    return deployer.prepared(with_parts(tiny_spec(repo), jobs=parts))


def test_jobs_of_a_kind_run_in_spec_order(deployer: Deployer, runtime: RecordingRuntime):
    ctx = with_jobs(deployer, ("migrate", "PRE_DEPLOY", "echo one"),
                    ("announce", "POST_DEPLOY", "echo later"),
                    ("seed", "PRE_DEPLOY", "echo two"))
    assert [j.name for j in jobs.jobs_of_kind(ctx, "PRE_DEPLOY")] == ["migrate", "seed"]
    jobs.run_jobs(ctx, bindings(ctx), "PRE_DEPLOY", fail=True)
    assert [inst.component for inst, _launch in runtime.jobs] == ["migrate", "seed"]
    log = deployer.log(ctx.dep)
    assert log.index("       one") < log.index("-----> Running PRE_DEPLOY job 'seed'")
    assert "-----> Job 'seed' succeeded" in log and "later" not in log


def test_a_job_runs_with_the_components_environment_and_no_port(deployer: Deployer,
                                                                runtime: RecordingRuntime):
    ctx = with_jobs(deployer, ("migrate", "PRE_DEPLOY", 'echo "url=$APP_URL port=${PORT:-none}"'),
                    envs=[{"key": "APP_URL", "scope": "RUN_TIME", "value": "${APP_URL}"}])
    jobs.run_jobs(ctx, bindings(ctx), "PRE_DEPLOY", fail=True)
    [(inst, launch)] = runtime.jobs
    assert (inst.port, launch.kind) == (None, "job")
    assert f"       url=http://127.0.0.1:{ctx.app.port} port=none" in deployer.log(ctx.dep)


def test_a_failing_job_stops_the_run_when_asked_to(deployer: Deployer,
                                                   runtime: RecordingRuntime):
    ctx = with_jobs(deployer, ("migrate", "PRE_DEPLOY", "echo no such table >&2; exit 5"),
                    ("seed", "PRE_DEPLOY", "echo seeding"))
    with pytest.raises(DockyardError) as err:
        jobs.run_jobs(ctx, bindings(ctx), "PRE_DEPLOY", fail=True)
    assert err.value.code == "deploy.job_failed"
    assert err.value.message == "PRE_DEPLOY job 'migrate' failed: job 'migrate' exited with " \
                                "status 5"
    assert err.value.hint == ("The previous release keeps serving; its output is in the "
                              "deploy log.")
    assert [inst.component for inst, _launch in runtime.jobs] == ["migrate"]
    assert "       no such table" in deployer.log(ctx.dep)


def test_without_fail_a_failing_job_is_logged_and_the_next_one_runs(
        deployer: Deployer, runtime: RecordingRuntime):
    ctx = with_jobs(deployer, ("notify", "POST_DEPLOY", "exit 1"),
                    ("warm", "POST_DEPLOY", "echo warming caches"))
    jobs.run_jobs(ctx, bindings(ctx), "POST_DEPLOY", fail=False)
    log = deployer.log(ctx.dep)
    assert " !     POST_DEPLOY job 'notify' failed: job 'notify' exited with status 1" in log
    assert "       warming caches" in log


def test_a_job_that_outlives_its_timeout_is_stopped(deployer: Deployer):
    ctx = with_jobs(deployer, ("migrate", "PRE_DEPLOY", "echo started; exec sleep 30"),
                    timeout="500ms")
    with pytest.raises(DockyardError) as err:
        jobs.run_jobs(ctx, bindings(ctx), "PRE_DEPLOY", fail=True)
    assert err.value.message == ("PRE_DEPLOY job 'migrate' failed: job 'migrate' did not "
                                 "finish within 0.5 s and was stopped")


def test_a_job_without_a_built_release_is_skipped(deployer: Deployer,
                                                  runtime: RecordingRuntime):
    ctx = with_jobs(deployer, ("migrate", "PRE_DEPLOY", "echo never"))
    del ctx.components["migrate"]  # e.g. a rollback to a release made before the job existed
    jobs.run_jobs(ctx, bindings(ctx), "PRE_DEPLOY", fail=True)
    assert runtime.jobs == []
