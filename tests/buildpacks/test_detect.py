"""Reading apps: markers, Procfile, manage.py, WSGI module, dependency files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.buildpacks.deps import plan
from dockyard.buildpacks.detect import default_run_command, find_manage_py, procfile
from dockyard.errors import DockyardError

MANAGE = ('import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{}")\n')


def write(app: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return app


def test_procfile_web_line_is_the_default_run_command(tmp_path: Path) -> None:
    app = write(tmp_path, {"Procfile": "# comment\nweb: gunicorn app:application  \n"
                                       "worker: python worker.py\n", "manage.py": ""})
    assert procfile(app)["worker"] == "python worker.py"
    assert default_run_command(app, "service") == ("gunicorn app:application",
                                                   "Procfile 'web:' line")
    assert default_run_command(app, "worker")[0] == "python worker.py"
    assert default_run_command(app, "job")[0] is None


def test_wsgi_package_named_by_manage_py_settings(tmp_path: Path) -> None:
    app = write(tmp_path, {"manage.py": MANAGE.format("config.settings"),
                           "config/wsgi.py": "", "other/wsgi.py": ""})
    assert default_run_command(app, "service") == ("gunicorn config.wsgi", "config/wsgi.py")


def test_single_wsgi_package_next_to_manage_py_is_found(tmp_path: Path) -> None:
    app = write(tmp_path, {"manage.py": "", "mysite/wsgi.py": "", "pages/views.py": ""})
    assert default_run_command(app, "service")[0] == "gunicorn mysite.wsgi"


def test_nested_django_project_runs_from_its_directory(tmp_path: Path) -> None:
    app = write(tmp_path, {"src/manage.py": MANAGE.format("proj.settings"),
                           "src/proj/wsgi.py": ""})
    assert default_run_command(app, "service")[0] == "gunicorn --chdir src proj.wsgi"


def test_no_run_command_without_procfile_or_wsgi(tmp_path: Path) -> None:
    app = write(tmp_path, {"requirements.txt": "", "main.py": ""})
    command, why = default_run_command(app, "service")
    assert command is None and "manage.py" in why


def test_shallowest_manage_py_wins_within_three_levels(tmp_path: Path) -> None:
    write(tmp_path, {"a/b/manage.py": "", "z/manage.py": "", "a/b/c/d/manage.py": ""})
    assert find_manage_py(tmp_path) == tmp_path / "z" / "manage.py"
    (tmp_path / "z" / "manage.py").unlink()
    assert find_manage_py(tmp_path) == tmp_path / "a" / "b" / "manage.py"
    (tmp_path / "a" / "b" / "manage.py").unlink()
    assert find_manage_py(tmp_path) is None


def test_requirements_plan_includes_nested_requirement_files(tmp_path: Path) -> None:
    app = write(tmp_path, {"requirements.txt": "-r requirements/base.txt\ndjango\n",
                           "requirements/base.txt": "-c ../constraints.txt\n",
                           "constraints.txt": "", "Pipfile": ""})
    got = plan(app)
    assert got.manager == "requirements.txt"
    assert got.files == ("requirements.txt", "requirements/base.txt", "constraints.txt")
    assert "Pipfile is ignored" in got.notes[0]


def test_local_paths_in_requirements_are_warned_about(tmp_path: Path) -> None:
    app = write(tmp_path, {"requirements.txt": "django\n-e .\n./libs/thing\n"})
    notes = plan(app).notes
    assert len(notes) == 2 and notes[0].startswith("WARNING: requirements.txt:2")


@pytest.mark.parametrize(("files", "manager"), [
    ({"pyproject.toml": "[project]\nname='x'\n", "uv.lock": ""}, "uv.lock"),
    ({"pyproject.toml": "[project]\nname='x'\n"}, "pyproject.toml"),
    ({"setup.py": "", "setup.cfg": ""}, "setup.py"),
])
def test_other_dependency_files(tmp_path: Path, files: dict[str, str], manager: str) -> None:
    assert plan(write(tmp_path, files)).manager == manager


@pytest.mark.parametrize(("files", "code"), [
    ({"Pipfile": ""}, "build.package_manager_unsupported"),
    ({"poetry.lock": "", "pyproject.toml": "[tool.poetry]\n"},
     "build.package_manager_unsupported"),
    ({"manage.py": ""}, "build.no_dependency_file"),
    ({"pyproject.toml": "[tool.ruff]\n"}, "build.no_dependency_file"),
])
def test_unusable_dependency_setups_fail_with_a_code(tmp_path: Path, files: dict[str, str],
                                                     code: str) -> None:
    with pytest.raises(DockyardError) as err:
        plan(write(tmp_path, files))
    assert err.value.code == code and err.value.hint
