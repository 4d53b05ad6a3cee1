"""``offload.call``: work in a short-lived child, its JSON result or its typed error back."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.offload import OffloadedError, call


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_result_comes_back_as_data(home: Path):
    result = call("spec.check", text="name: shop\nstatic_sites:\n  - name: docs\n    git:\n"
                                     "      repo_clone_url: /srv/docs.git\n")
    assert (result["name"], result["is_static"]) == ("shop", True)
    assert (home / "secrets.key").exists()  # the child used DOCKYARD_HOME


def test_a_dockyard_error_comes_back_with_its_code_status_and_issues():
    with pytest.raises(OffloadedError) as err:
        call("spec.check", text="name: Not Valid\n", filename="app.yaml")
    assert (err.value.code, err.value.status) == ("spec.invalid", 422)
    assert [(i.path, i.line) for i in err.value.issues] == [("name", 1), ("services", 1)]


def test_a_not_found_keeps_its_status():
    with pytest.raises(OffloadedError) as err:
        call("databases.backup", app_id="no-such-app", database="db")
    assert (err.value.code, err.value.status) == ("not_found", 404)
    assert err.value.message == "app 'no-such-app' not found"


def test_a_crash_in_the_child_is_an_internal_error_its_traceback_only_in_the_log(
        caplog: pytest.LogCaptureFixture):
    with pytest.raises(DockyardError) as err:
        call("spec.check", unexpected_argument=1)
    assert (err.value.code, getattr(err.value, "status", None)) == ("internal_error", 500)
    assert err.value.message == ("spec.check failed inside Dockyard (exit 1); the API "
                                 "server's log has the details")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "dockyard.offload")
    assert "dockyard.deploy.specs:check failed (exit 1)" in logged
    assert "unexpected_argument" in logged and "Traceback" in logged


def test_an_unknown_name_is_refused_before_any_child_runs():
    with pytest.raises(KeyError):
        call("os.system", command="true")
