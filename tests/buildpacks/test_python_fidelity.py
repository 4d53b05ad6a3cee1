"""The Python buildpack as DigitalOcean's: setuptools/wheel seeded, requirements written for
a missing Python refused, static sites in a Python repository built by collectstatic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.buildpacks import BuildSettings, build
from dockyard.buildpacks.interpreters import discover
from dockyard.errors import DockyardError
from dockyard.logs import Log


def only_our_python() -> tuple[BuildSettings, tuple[int, ...]]:
    """Settings that see one interpreter (this one), and its version."""
    found = discover([Path(sys.executable)])
    assert found, sys.executable
    return BuildSettings(python_candidates=(found[0].path,)), found[0].version


def older_request(version: tuple[int, ...]) -> str:
    """A runtime.txt line for a version older than ``version`` (so it is not installed)."""
    return f"python-{version[0]}.{version[1] - 1}.4"


@pytest.mark.slow
def test_old_gunicorn_runs_because_setuptools_is_seeded(app_copy, make_request,
                                                        log: Log) -> None:
    result = build(make_request(app_copy("django_old_gunicorn")), log)
    assert result.venv is not None
    out = subprocess.run([str(result.venv / "bin" / "python"), "-c",
                          "import pkg_resources, setuptools, wheel, gunicorn.util; "
                          "print(setuptools.__version__, wheel.__version__)"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["70.3.0", "0.44.0"]
    assert "Installing setuptools 70.3.0 and wheel 0.44.0 (as DigitalOcean's Python " \
        "buildpack does)" in log.path.read_text()
    assert result.default_run_command == "gunicorn mysite.wsgi"


@pytest.mark.slow
def test_python_313_is_not_seeded_and_the_log_says_so(tmp_path: Path, make_request,
                                                      log: Log) -> None:
    found = [i for i in discover() if i.minor >= (3, 13)]
    if not found:
        pytest.skip("no Python 3.13+ on this host")
    app = tmp_path / "app"
    app.mkdir()
    (app / ".python-version").write_text(f"{found[0].minor[0]}.{found[0].minor[1]}\n")
    (app / "requirements.txt").write_text("")
    (app / "Procfile").write_text("web: python -m http.server\n")
    build(make_request(app), log)
    assert "setuptools and wheel are not pre-installed (DigitalOcean's buildpack seeds " \
        "them only up to 3.12)" in log.path.read_text()


@pytest.mark.slow
def test_requirements_that_pin_setuptools_keep_their_version(tmp_path: Path, make_request,
                                                             log: Log) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "runtime.txt").write_text("python-3.11\n")  # 3.13+ seeds nothing
    (app / "requirements.txt").write_text("setuptools==69.5.1\n")
    (app / "Procfile").write_text("web: python -m http.server\n")
    result = build(make_request(app), log)
    assert result.venv is not None
    version = subprocess.run([str(result.venv / "bin" / "python"), "-c",
                              "import setuptools; print(setuptools.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "69.5.1"
    text = log.path.read_text()
    assert "requirements.txt names setuptools: its own version is installed" in text
    assert "Installing wheel 0.44.0" in text


def test_requirements_written_only_for_a_missing_python_fail_the_build(
        tmp_path: Path, make_request, log: Log) -> None:
    settings, ours = only_our_python()
    runtime = older_request(ours)
    wanted = runtime.removeprefix("python-").rsplit(".", 1)[0]
    app = tmp_path / "app"
    app.mkdir()
    (app / "runtime.txt").write_text(runtime + "\n")
    (app / "requirements.txt").write_text(
        f'django==4.2.11 ; python_version == "{wanted}"\n'
        f'gunicorn==21.2.0 ; python_version == "{wanted}"\n')
    with pytest.raises(DockyardError) as err:
        build(make_request(app, settings=settings), log)
    assert err.value.code == "build.requirements_for_other_python"
    message = err.value.message
    assert f"runtime.txt asks for Python {runtime}, which is not installed" in message
    assert "the environment would be empty" in message
    assert "requirements.txt:1 django==4.2.11" in message
    assert "Installing dependencies" not in log.path.read_text()


def test_a_marker_for_an_old_python_among_plain_requirements_only_warns(
        tmp_path: Path, make_request, log: Log) -> None:
    from dockyard.buildpacks.deps import plan
    from dockyard.buildpacks.markers import check
    from dockyard.buildpacks.pyversion import read_request

    settings, ours = only_our_python()
    runtime = older_request(ours)
    wanted = runtime.removeprefix("python-").rsplit(".", 1)[0]
    (tmp_path / "runtime.txt").write_text(runtime + "\n")
    (tmp_path / "requirements.txt").write_text(
        f'gunicorn==21.2.0\ntomli==2.0.1 ; python_version == "{wanted}"\n')
    check(tmp_path, plan(tmp_path), read_request(tmp_path), ours, log)
    assert "these requirements are skipped by their markers: requirements.txt:2 tomli" in \
        log.path.read_text()


@pytest.mark.slow
def test_static_site_in_a_django_repository_is_collectstatic_output(
        app_copy, make_request, log: Log) -> None:
    req = make_request(app_copy("django_static_site"), kind="static_site", component="assets",
                       output_dir="staticfiles")
    result = build(req, log)
    assert result.buildpack == "python" and result.site_dir is not None
    assert (result.site_dir / "css" / "site.css").read_text().startswith("h1 {")
    assert (result.site_dir / "admin" / "css" / "base.css").is_file()
    text = log.path.read_text()
    assert "built by the Python buildpack (collectstatic)" in text
    assert "collectstatic --noinput" in text
