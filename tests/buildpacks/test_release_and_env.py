"""What a build hands on: the build's environment (blocked variables), what an instance needs
from the build (``run_env``, ``run_path``, ``run_mounts`` in release.json), and the check that
requirements were not written only for a Python the host does not have. Nothing is built."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.buildpacks.smallrepo import repo

from dockyard.buildpacks import BuildRequest, BuildResult, read_release_json, write_release_json
from dockyard.buildpacks.deps import plan
from dockyard.buildpacks.markers import check
from dockyard.buildpacks.pyversion import read_request
from dockyard.buildpacks.steps import build_env
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import Home


def request(tmp_path: Path, env: dict[str, str], kind: str = "service") -> BuildRequest:
    home = Home(tmp_path / "home")
    return BuildRequest(component="web", kind=kind, src=tmp_path, env=env, home=home,
                        release=home.release("a1", "d1", "web"))


# -- the build's environment ----------------------------------------------------------------

def test_variables_the_platform_sets_are_ignored_and_said_so(tmp_path):
    out = io.StringIO()
    env = build_env(request(tmp_path, {"PATH": "/evil", "LD_PRELOAD": "x.so", "DEBUG": "1",
                                       "PYTHONHOME": "/p"}), None, Log(echo=out))
    assert out.getvalue() == ("-----> Ignoring build variables LD_PRELOAD, PATH, PYTHONHOME: "
                              "the platform sets them\n")
    assert env["DEBUG"] == "1" and "LD_PRELOAD" not in env and "PYTHONHOME" not in env
    assert "/evil" not in env["PATH"]


def test_the_venv_comes_first_on_path_and_the_component_type_is_set(tmp_path):
    venv = tmp_path / "envs" / "abc"
    env = build_env(request(tmp_path, {"VIRTUAL_ENV": "/elsewhere"}, kind="worker"), venv,
                    Log())
    assert env["PATH"].split(":")[0] == str(venv / "bin")
    assert env["VIRTUAL_ENV"] == str(venv)
    assert env["APP_PLATFORM_COMPONENT_TYPE"] == "worker"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_without_a_venv_no_virtual_env_leaks_in(tmp_path):
    env = build_env(request(tmp_path, {"VIRTUAL_ENV": "/elsewhere"}), None, Log())
    assert "VIRTUAL_ENV" not in env


# -- what an instance needs from the build --------------------------------------------------

def result(tmp_path: Path, **kw) -> BuildResult:
    fields = {"buildpack": "python", "release": tmp_path, "app_dir": tmp_path / "app",
              "site_dir": None, "python": None, "venv": None, "env_cache_hit": False,
              "default_run_command": None}
    return BuildResult(**{**fields, **kw})


def test_a_python_release_runs_with_its_venv_and_a_pyenv_interpreter_mounted(tmp_path):
    venv = Path("/var/lib/dockyard/apps/a1/cache/envs/abc")
    built = result(tmp_path, venv=venv, interpreter="/opt/pyenv/versions/3.11.9/bin/python3")
    assert built.run_env == {"VIRTUAL_ENV": str(venv)}
    assert built.run_path == [f"{venv}/bin"]
    assert built.run_mounts == [str(venv), "/opt/pyenv/versions/3.11.9"]


def test_the_systems_interpreter_is_not_mounted(tmp_path):
    built = result(tmp_path, venv=Path("/v"), interpreter="/usr/bin/python3.11")
    assert built.run_mounts == ["/v"]


def test_a_node_release_gets_node_env_its_bin_dir_and_its_shared_node_modules(tmp_path):
    modules = "/var/lib/dockyard/apps/a1/cache/node/k1"
    built = result(tmp_path, buildpack="node-js", extra_env={"NODE_ENV": "production"},
                   extra_path=[f"{modules}/.bin"], caches=[modules])
    assert (built.run_env, built.run_path, built.run_mounts) == (
        {"NODE_ENV": "production"}, [f"{modules}/.bin"], [modules])


def test_release_json_round_trips_what_the_runtime_reads(tmp_path):
    built = result(tmp_path, venv=Path("/v"), notes=["a note"], default_run_command="gunicorn x")
    path = write_release_json(built)
    assert path == tmp_path / "release.json" and oct(path.stat().st_mode)[-3:] == "644"
    data = read_release_json(tmp_path)
    assert data["run_path"] == ["/v/bin"] and data["release"] == str(tmp_path)
    assert (data["default_run_command"], data["notes"]) == ("gunicorn x", ["a note"])
    assert [p.name for p in tmp_path.iterdir()] == ["release.json"]  # no temp file left


# -- requirements written for a Python the host lacks ---------------------------------------

def _check(tmp_path: Path, requirements: str, chosen: tuple[int, ...]) -> str:
    app = repo(tmp_path / "app", {"runtime.txt": "python-3.8", "requirements.txt": requirements})
    out = io.StringIO()
    check(app, plan(app), read_request(app), chosen, Log(echo=out))
    return out.getvalue()


def test_requirements_without_markers_build_with_another_python(tmp_path):
    assert _check(tmp_path, "flask==2.0\n", (3, 11, 9)) == ""


def test_only_marked_requirements_for_the_missing_python_fail_naming_the_lines(tmp_path):
    text = ('flask==2.0 ; python_version == "3.8"\n'
            'click==8.0 ; python_version == "3.8"\n')
    with pytest.raises(DockyardError) as caught:
        _check(tmp_path, text, (3, 11, 9))
    assert caught.value.code == "build.requirements_for_other_python"
    message = caught.value.message
    assert message.startswith("runtime.txt asks for Python python-3.8, which is not installed")
    assert "with Python 3.11.9 the environment would be empty" in message
    assert 'requirements.txt:1 flask==2.0 ; python_version == "3.8"' in message
    assert caught.value.hint.startswith("Install Python 3.8 on the host")


def test_a_marked_line_among_plain_ones_only_warns(tmp_path):
    text = 'flask==2.0\nbackports.zoneinfo ; python_version < "3.9"\n'
    assert _check(tmp_path, text, (3, 11, 9)) == (
        " !     WARNING: with Python 3.11.9 instead of python-3.8 these requirements are "
        'skipped by their markers: requirements.txt:2 backports.zoneinfo ; python_version < '
        '"3.9"\n')


def test_the_requested_minor_itself_is_never_checked(tmp_path):
    text = 'flask==2.0 ; python_version == "3.8"\n'
    assert _check(tmp_path, text, (3, 8, 18)) == ""
