"""What the runtime is asked to run: the command, the environment (spec values sealed), the
secrets to mask, the grace period and the size."""

from __future__ import annotations

import pytest

from dockyard.deploy.context import DeployContext
from dockyard.deploy.launches import DEFAULT_GRACE_SECONDS, launch_for, run_command
from dockyard.errors import DockyardError
from dockyard.runtime import Launch
from tests.deploy.conftest import Deployer, bindings, tiny_spec
from tests.deploy.doubles import RecordingRuntime

SECRET = "correct-horse-battery-staple"


def launch(ctx: DeployContext, port: int | None = 8080, kind: str = "service",
           command: str | None = None) -> Launch:
    return launch_for(ctx, ctx.spec.component("web"), bindings(ctx), port=port, kind=kind,
                      command=command)


@pytest.fixture
def ctx(deployer: Deployer) -> DeployContext:
    spec = tiny_spec(deployer.repo)
    spec["services"][0]["envs"] += [
        {"key": "API_TOKEN", "type": "SECRET", "value": SECRET},
        {"key": "EMPTY", "value": ""},
        {"key": "MODE", "value": "production"}]
    return deployer.prepared(spec)


def test_the_specs_values_are_sealed_and_the_platforms_are_not(ctx: DeployContext,
                                                               runtime: RecordingRuntime):
    made = launch(ctx)
    assert set(made.sealed) == {"API_TOKEN", "APP_URL", "MODE"}  # EMPTY has nothing to hide
    assert all(made.env[k].startswith("EV[1:dky-") for k in made.sealed)
    assert SECRET not in str(made.env)
    env = runtime.env(made)
    assert (env["API_TOKEN"], env["MODE"], env["EMPTY"]) == (SECRET, "production", "")
    assert (made.env["PORT"], made.env["PYTHONUNBUFFERED"]) == ("8080", "1")
    assert made.env["GUNICORN_CMD_ARGS"] == "--bind 127.0.0.1:8080 --access-logfile -"


def test_the_launcher_is_told_which_secrets_to_mask_in_run_logs(ctx: DeployContext,
                                                                runtime: RecordingRuntime):
    masks = [runtime.box.decrypt(m) for m in launch(ctx).masks]
    assert masks == [SECRET]


def test_a_console_is_the_users_terminal_so_nothing_is_masked(ctx: DeployContext):
    made = launch(ctx, port=None, kind="console", command="python manage.py shell")
    assert (made.kind, made.command, made.masks) == ("console", "python manage.py shell", ())
    assert "PORT" not in made.env and "GUNICORN_CMD_ARGS" not in made.env


def test_grace_period_size_and_labels_come_from_the_spec(deployer: Deployer):
    ctx = deployer.prepared(tiny_spec(deployer.repo, instance_size_slug="apps-d-1vcpu-2gb",
                                      termination={"grace_period_seconds": 30}))
    made = launch(ctx)
    assert (made.grace_seconds, made.size) == (30, "apps-d-1vcpu-2gb")
    assert made.labels == {"app": "tiny", "component": "web", "deployment": ctx.dep.id}


def test_defaults_when_the_spec_says_nothing(ctx: DeployContext):
    made = launch(ctx)
    assert (made.grace_seconds, made.size) == (DEFAULT_GRACE_SECONDS, None)
    assert made.app_dir == ctx.components["web"].app_dir and made.command == "python app.py"


def test_the_specs_run_command_wins_over_the_detected_one(ctx: DeployContext):
    record = ctx.components["web"]
    record.default_run_command = "gunicorn app:app"
    comp = ctx.spec.component("web")
    assert run_command(comp, record) == "python app.py"
    comp.run_command = None
    assert run_command(comp, record) == "gunicorn app:app"


def test_no_run_command_at_all_names_the_component_and_the_fix(ctx: DeployContext):
    comp = ctx.spec.component("web")
    comp.run_command = None
    with pytest.raises(DockyardError) as err:
        run_command(comp, ctx.components["web"])
    assert err.value.code == "deploy.no_run_command"
    assert err.value.message == ("service 'web' has no run_command and none was detected "
                                 "(no Procfile web: line, no Django wsgi module)")
    assert err.value.hint == "Set run_command for 'web' in the spec."


def test_a_release_without_app_files_cannot_be_launched(ctx: DeployContext):
    ctx.components["web"].app_dir = None
    with pytest.raises(DockyardError) as err:
        launch(ctx)
    assert (err.value.code, err.value.message) == ("deploy.no_app_files",
                                                   "service 'web' has no app files to run")
