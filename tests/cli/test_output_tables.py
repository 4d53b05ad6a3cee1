"""doctl-style output: tables with ``--format`` and ``--no-header``, JSON, and errors."""

from __future__ import annotations

import json

import pytest

from dockyard.cli.output import APP_COLUMNS, DEPLOYMENT_COLUMNS, emit, fail, field, progress_text

APP = {"id": "a1", "spec": {"name": "shop"}, "default_ingress": "http://127.0.0.1:8123",
       "active_deployment": {"id": "d1"}, "created_at": "2024-01-01T00:00:00Z",
       "updated_at": "2024-01-02T00:00:00Z"}
DEP = {"id": "d1", "cause": "manual", "phase": "ACTIVE", "created_at": "t1",
       "updated_at": "t2", "progress": {"success_steps": 6, "total_steps": 6}}


@pytest.mark.parametrize(("column", "value"), [
    ("ID", "a1"), ("Spec.Name", "shop"), ("DefaultIngress", "http://127.0.0.1:8123"),
    ("ActiveDeployment.ID", "d1"), ("InProgressDeployment.ID", ""),
    ("Created", "2024-01-01T00:00:00Z"), ("Spec.Name.Deeper", "")])
def test_columns_are_read_the_way_doctl_names_them(column: str, value: str):
    assert field(APP, column) == value


@pytest.mark.parametrize(("progress", "text"), [
    ({"success_steps": 3, "total_steps": 6}, "3/6"),
    ({"success_steps": 2, "total_steps": 6, "error_steps": 1}, "2/6 (errors: 1)"),
    ({}, "0/0")])
def test_progress_reads_as_steps_done(progress: dict, text: str):  # type: ignore[type-arg]
    assert progress_text(progress) == text


def test_a_table_has_doctls_headers_and_aligned_columns(capsys: pytest.CaptureFixture[str]):
    emit([DEP, {**DEP, "id": "d22", "phase": "ERROR"}], DEPLOYMENT_COLUMNS, output="text",
         fmt=None)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "Cause", "Progress", "Phase", "Created", "At",
                                "Updated", "At"]
    assert lines[1].split() == ["d1", "manual", "6/6", "ACTIVE", "t1", "t2"]
    assert lines[2].split()[0] == "d22" and lines[2].index("manual") == lines[1].index("manual")


def test_format_picks_columns_and_no_header_drops_the_header(
        capsys: pytest.CaptureFixture[str]):
    emit([APP], APP_COLUMNS, output="text", fmt="Spec.Name, ID", no_header=True)
    assert capsys.readouterr().out == "shop    a1\n"


def test_json_output_is_the_whole_objects(capsys: pytest.CaptureFixture[str]):
    emit([APP], APP_COLUMNS, output="json", fmt="ID")
    assert json.loads(capsys.readouterr().out) == [APP]
    emit([APP], APP_COLUMNS, output="json", fmt=None, raw={"apps": [APP]})
    assert json.loads(capsys.readouterr().out) == {"apps": [APP]}


def test_an_empty_table_prints_only_its_header(capsys: pytest.CaptureFixture[str]):
    emit([], ["ID", "Name"], output="text", fmt=None)
    assert capsys.readouterr().out == "ID    Name\n"


def test_errors_go_to_stderr_with_the_hint_indented(capsys: pytest.CaptureFixture[str]):
    fail("deployment d1 ERROR: build failed\nsecond line", "Fix the build\nthen deploy")
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == (" !     deployment d1 ERROR: build failed\n !     second line\n"
                       "       Fix the build\n       then deploy\n")
