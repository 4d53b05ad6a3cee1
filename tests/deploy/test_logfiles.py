"""Where BUILD, DEPLOY and RUN logs of a deployment are, and how they are read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.deploy.logfiles import log_files, normalize_type
from dockyard.errors import DockyardError


@pytest.mark.parametrize(("given", "kind"), [
    (None, "RUN"), ("UNSPECIFIED", "RUN"), ("build", "BUILD"), ("Deploy", "DEPLOY"),
    ("RUN_RESTARTED", "RUN")])
def test_digitaloceans_log_type_names_are_understood(given: str | None, kind: str):
    assert normalize_type(given) == kind


def test_an_unknown_log_type_says_which_exist():
    with pytest.raises(DockyardError) as err:
        normalize_type("audit")
    assert (err.value.code, err.value.message) == (
        "bad_request", "log type must be one of build, deploy, run (got 'audit')")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in {"deploy.log": "-----> deploying\n", "build-web.log": "built web\n",
                       "build-docs.log": "built docs\n", "run-web-0.log": "a\nb\n",
                       "run-web-1.log": "c\n", "run-queue-0.log": "q\n"}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_each_type_maps_to_its_files(folder: Path):
    def names(kind: str, comp: str | None = None) -> list[str]:
        return [p.name for p in log_files(folder, kind, comp)]

    assert names("DEPLOY") == ["deploy.log"]
    assert names("BUILD", "web") == ["build-web.log"]
    assert names("BUILD") == ["build-docs.log", "build-web.log"]
    assert names("RUN", "web") == ["run-web-0.log", "run-web-1.log"]
    assert names("RUN") == ["run-queue-0.log", "run-web-0.log", "run-web-1.log"]
