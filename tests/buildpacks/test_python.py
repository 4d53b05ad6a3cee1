"""The Python buildpack end to end: real interpreters, real uv installs (slow)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_interpreters import system_python

from dockyard.buildpacks import BuildSettings, build, read_release_json
from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log

pytestmark = pytest.mark.slow


def run_in_release(venv: Path, app: Path, code: str) -> str:
    """Run python as an instance would: PATH=<venv>/bin:…, VIRTUAL_ENV, cwd = app dir."""
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "VIRTUAL_ENV": str(venv),
           "HOME": os.environ.get("HOME", "/tmp")}
    res = subprocess.run(["python", "-c", code], cwd=app, env=env, capture_output=True,
                         text=True, check=True)
    return res.stdout.strip()


def test_python_minimal_builds_a_runnable_release(app_copy, make_request, log: Log) -> None:
    req = make_request(app_copy("python_minimal"))
    result = build(req, log)
    assert result.buildpack == "python" and result.app_dir == req.release / "app"
    assert result.default_run_command == "gunicorn mysite.wsgi"
    assert result.venv is not None and result.venv.parent == req.home.build_cache / "envs"
    assert not str(result.venv).startswith(str(req.release))
    assert (result.app_dir / "staticfiles" / "css" / "site.css").is_file()
    out = run_in_release(result.venv, result.app_dir,
                         "import sys, mysite.wsgi; print(sys.prefix)")
    assert out == str(result.venv)
    gunicorn = subprocess.run([str(result.venv / "bin" / "gunicorn"), "--version"],
                              capture_output=True, text=True, check=True)
    assert "gunicorn" in gunicorn.stdout + gunicorn.stderr
    meta = read_release_json(req.release)
    assert meta["python"] == result.python and meta["venv"] == str(result.venv)
    assert meta["default_run_command"] == "gunicorn mysite.wsgi"
    assert meta["run_env"] == {"VIRTUAL_ENV": str(result.venv)}
    assert meta["run_path"] == [str(result.venv / "bin")]


def test_procfile_web_line_is_detected(app_copy, make_request, log: Log) -> None:
    result = build(make_request(app_copy("python_procfile")), log)
    assert result.default_run_command == "gunicorn --bind 0.0.0.0:$PORT app:application"
    assert "Procfile 'web:' line" in log.path.read_text()


def test_missing_minor_on_a_system_python_host_builds_with_a_warning(app_copy, make_request,
                                                                     log: Log) -> None:
    only = system_python()
    src = app_copy("python_procfile")
    older = f"{only.version[0]}.{only.version[1] - 1}"
    (src / "runtime.txt").write_text(f"python-{older}.4\n")
    result = build(make_request(src, settings=BuildSettings(python_candidates=(only.path,))),
                   log)
    assert result.python == only.text
    assert any(n.startswith("WARNING") for n in result.notes)
    text = log.path.read_text()
    assert f" !     WARNING: Python {older} (python-{older}.4 from runtime.txt) is not " \
           "installed" in text


def test_bad_requirement_fails_with_uvs_error_in_the_log(app_copy, make_request,
                                                         log: Log) -> None:
    req = make_request(app_copy("python_bad_requirement"))
    with pytest.raises(CommandFailed) as err:
        build(req, log)
    assert err.value.code == "build.dependencies_failed"
    assert "requirements.txt" in err.value.message and err.value.hint
    text = log.path.read_text()
    assert "this-package-does-not-exist-dockyard" in text
    assert any("this-package-does-not-exist-dockyard" in line for line in err.value.tail)
    envs = req.home.build_cache / "envs"
    assert sorted(p.name for p in envs.iterdir()) == [".locks"]  # nothing half-built
    assert not (req.release / "release.json").exists()


@pytest.mark.parametrize(("flag", "runs"), [(None, True), ("0", True), ("1", False),
                                            ("false", False)])
def test_collectstatic_follows_disable_collectstatic(app_copy, make_request, log: Log,
                                                     flag: str | None, runs: bool) -> None:
    env = {"DISABLE_COLLECTSTATIC": flag} if flag is not None else {}
    result = build(make_request(app_copy("python_minimal"), env=env), log)
    assert result.app_dir is not None
    assert (result.app_dir / "staticfiles" / "css" / "site.css").is_file() is runs
    if not runs:
        assert f"-----> Skipping collectstatic: DISABLE_COLLECTSTATIC={flag}" in \
            log.path.read_text()


def test_failing_collectstatic_fails_the_build(app_copy, make_request, log: Log) -> None:
    req = make_request(app_copy("python_collectstatic_broken"))
    with pytest.raises(CommandFailed) as err:
        build(req, log)
    assert err.value.code == "build.collectstatic_failed"
    assert "STATIC_ROOT" in log.path.read_text()
    assert not (req.release / "release.json").exists()


def test_build_command_sees_build_env_and_the_venv_but_not_the_host_env(
        app_copy, make_request, log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_HOST_ONLY", "leaked")
    req = make_request(
        app_copy("python_procfile"), env={"BUILD_FLAVOUR": "blue", "LD_PRELOAD": "/evil.so"},
        build_command='echo "flavour=$BUILD_FLAVOUR host=${DOCKYARD_HOST_ONLY:-unset} '
                      'preload=${LD_PRELOAD:-unset} venv=$VIRTUAL_ENV '
                      'type=$APP_PLATFORM_COMPONENT_TYPE" > built.txt && '
                      'python -c "import gunicorn, sys; print(sys.prefix)" >> built.txt')
    result = build(req, log)
    assert result.app_dir is not None
    lines = (result.app_dir / "built.txt").read_text().splitlines()
    assert lines == [f"flavour=blue host=unset preload=unset venv={result.venv} type=service",
                     str(result.venv)]
    assert "Ignoring build variables LD_PRELOAD" in log.path.read_text()


def test_static_site_built_with_python_tools(tmp_path: Path, make_request, log: Log) -> None:
    src = tmp_path / "docs"
    src.mkdir()
    (src / "requirements.txt").write_text("# no packages needed\n")
    (src / ".python-version").write_text("3.11\n")
    req = make_request(src, kind="static_site", component="docs", output_dir="site_out",
                       build_command="mkdir site_out && python -c \"import sys; "
                                     "print(sys.version_info[:2])\" > site_out/index.html")
    result = build(req, log)
    assert result.buildpack == "python" and result.app_dir is None
    assert result.site_dir is not None
    assert (result.site_dir / "index.html").read_text().startswith("(3, ")
    assert sorted(p.name for p in req.release.iterdir()) == ["release.json", "site"]


def test_uv_lock_project_installs_with_uv_sync(tmp_path: Path, make_request, log: Log) -> None:
    src = tmp_path / "proj"
    src.mkdir()
    (src / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1"\n'
                                        'requires-python = ">=3.10"\ndependencies = []\n')
    (src / ".python-version").write_text("3.11\n")
    from dockyard.buildpacks.envcache import uv_bin
    subprocess.run([uv_bin(), "lock", "-q"], cwd=src, check=True,
                   env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    result = build(make_request(src, deployment="d1"), log)
    assert result.venv is not None and (result.venv / "bin" / "python").exists()
    assert "Installing dependencies from uv.lock" in log.path.read_text()
    (src / "pyproject.toml").write_text((src / "pyproject.toml").read_text()
                                        .replace('"0.1"', '"0.2"'))
    with pytest.raises(DockyardError) as err:
        build(make_request(src, deployment="d2"), log)
    assert err.value.code == "build.uv_lock_out_of_sync"
