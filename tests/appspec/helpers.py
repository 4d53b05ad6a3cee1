"""Shared helpers for the spec tests: fixtures on disk and one way to collect issues."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from dockyard.appspec import SpecError, SpecIssue, load_spec, parse_spec_data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
BOOK = FIXTURES / "book"
SAMPLES = FIXTURES / "samples"

BASE: dict[str, Any] = {
    "name": "app",
    "services": [{"name": "web", "github": {"repo": "acme/web", "branch": "main"}}],
}


def spec(**top: Any) -> dict[str, Any]:
    """A minimal valid spec (one service) with top-level fields replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(top))
    return data


def service(**fields: Any) -> dict[str, Any]:
    """A minimal spec whose only service gets these extra fields."""
    data = spec()
    data["services"][0].update(copy.deepcopy(fields))
    return data


def issues_of(source: str | dict[str, Any], filename: str = "app.yaml") -> list[SpecIssue]:
    """The issues a spec is rejected with (fails the test if it is accepted)."""
    with pytest.raises(SpecError) as caught:
        if isinstance(source, str):
            load_spec(source, filename)
        else:
            parse_spec_data(source)
    assert caught.value.issues, "a SpecError must carry at least one issue"
    return caught.value.issues


def only_issue(source: str | dict[str, Any]) -> SpecIssue:
    """The single issue a spec is rejected with."""
    issues = issues_of(source)
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def paths(issues: list[SpecIssue]) -> list[str]:
    return [issue.path for issue in issues]
