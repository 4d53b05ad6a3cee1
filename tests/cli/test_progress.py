"""``--wait``: each phase and running step printed once, and a failure raised with the log's
tail. The API is a scripted stand-in that answers a deployment's states in order."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.cli.progress import poll, running_steps
from dockyard.deploy.progress import mark, new_progress
from dockyard.errors import DockyardError


class ScriptedClient:
    """Answers GET …/deployments/{id} with the next scripted deployment (the last repeats)."""

    def __init__(self, *deployments: dict[str, Any]) -> None:
        self.deployments = list(deployments)
        self.paths: list[str] = []

    def get(self, path: str, **_query: Any) -> dict[str, Any]:
        self.paths.append(path)
        dep = self.deployments.pop(0) if len(self.deployments) > 1 else self.deployments[0]
        return {"deployment": dep}


def progress(*running: tuple[str, ...]) -> dict[str, Any]:
    p = new_progress([("service", "web")])
    for path in running:
        p = mark(p, path, "RUNNING")
    return p


def test_running_steps_are_labelled_with_their_component():
    p = progress(("build", "components", "web"))
    assert running_steps(p) == ["Building service web"]
    p = mark(p, ("build",), "SUCCESS")
    assert running_steps(mark(p, ("deploy", "initialize"), "RUNNING")) == [
        "Preparing databases, jobs and new instances"]


def test_each_phase_and_step_is_printed_once_until_the_end(capsys: pytest.CaptureFixture[str]):
    building = {"phase": "BUILDING", "progress": progress(("build", "components", "web"))}
    done = mark(new_progress([("service", "web")]), ("build",), "SUCCESS")
    done = mark(done, ("deploy",), "SUCCESS")
    client = ScriptedClient({"phase": "PENDING_BUILD", "progress": {}}, building, building,
                            {"phase": "ACTIVE", "progress": done})
    dep = poll(client, "shop", "d1", 0, 30, lambda _text: None)  # type: ignore[arg-type]
    assert dep["phase"] == "ACTIVE"
    assert capsys.readouterr().err.splitlines() == [
        "-----> PENDING_BUILD (0/0)", "-----> BUILDING (0/6)",
        "-----> Building service web (0/6)", "-----> ACTIVE (6/6)"]
    assert client.paths[0] == "/v2/apps/shop/deployments/d1"


def test_a_failed_deployment_raises_its_error_with_the_log_tail():
    failed = {"phase": "ERROR", "progress": {},
              "error": {"code": "build.command_failed", "message": "exit 7"},
              "log_tail": ["-----> building", " !     exit 7"]}
    with pytest.raises(DockyardError) as err:
        poll(ScriptedClient(failed), "shop", "d1", 0, 30, lambda _t: None)  # type: ignore[arg-type]
    assert (err.value.code, err.value.message) == ("build.command_failed",
                                                   "deployment d1 ERROR: exit 7")
    assert err.value.hint == "-----> building\n !     exit 7"


def test_a_canceled_deployment_without_a_reason_says_so():
    with pytest.raises(DockyardError) as err:
        poll(ScriptedClient({"phase": "CANCELED", "progress": {}}), "shop", "d1", 0, 30,
             lambda _t: None)  # type: ignore[arg-type]
    assert err.value.message == "deployment d1 CANCELED: no reason recorded"
    assert err.value.hint is None


def test_a_deployment_that_never_ends_times_out():
    with pytest.raises(DockyardError, match="did not finish in 0 s"):
        poll(ScriptedClient({"phase": "BUILDING", "progress": {}}), "shop", "d1", 0.01, 0.05,
             lambda _t: None)  # type: ignore[arg-type]
