"""``apps console``: a one-off command prepared in the live release, through the runtime."""

from __future__ import annotations

import pytest

from dockyard.deploy import console
from dockyard.deploy.phases import Phase
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError, NotFound
from tests.deploy.conftest import Deployer, tiny_spec
from tests.deploy.doubles import RecordingRuntime


def test_a_console_runs_the_command_in_the_live_release(deployer: Deployer,
                                                       services: Services,
                                                       runtime: RecordingRuntime):
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=Phase.ACTIVE)
    prepared = console.prepare(services, ctx.app, "web", ["python", "-c", "print('hi there')"])
    session = str(prepared["id"])
    assert len(session) == 12 and prepared["command"] == [
        "bash", "-c", "python -c 'print('\"'\"'hi there'\"'\"')'"]
    [(name, inst)] = [c for c in runtime.calls if c[0] == "console"]
    assert (inst.deployment_id, inst.component, inst.port) == (f"console-{session}", "web",
                                                               None)
    console.remove(services, ctx.app, "web", session)
    assert ("end_console", inst) in runtime.calls
    assert deployer.log(ctx.dep) == ""  # a console's output is not the deployment's


def test_no_command_means_a_login_shell(deployer: Deployer, services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=Phase.ACTIVE)
    assert console.prepare(services, ctx.app, "web", [])["command"] == ["bash", "-c",
                                                                       "exec bash -l"]


def test_an_app_that_is_not_live_has_no_console(deployer: Deployer, services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    with pytest.raises(DockyardError) as err:
        console.prepare(services, ctx.app, "web", [])
    assert (err.value.code, err.value.message) == ("console.not_live",
                                                   "app tiny has no live deployment")


def test_an_unknown_component_lists_the_ones_that_can_run(deployer: Deployer,
                                                          services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=Phase.ACTIVE)
    with pytest.raises(NotFound) as err:
        console.prepare(services, ctx.app, "db", [])
    assert err.value.message == (f"component 'db' has no release with app files in "
                                 f"deployment {ctx.dep.id}; try one of: web")


@pytest.mark.parametrize("session", ["../../etc", "ABCDEF012345", "abc", "0123456789abc"])
def test_session_ids_that_could_name_a_path_are_not_found(deployer: Deployer,
                                                          services: Services, session: str):
    ctx = deployer.prepared(tiny_spec(deployer.repo), phase=Phase.ACTIVE)
    with pytest.raises(NotFound):
        console.remove(services, ctx.app, "web", session)
