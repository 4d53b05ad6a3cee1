"""Docs that are generated from the code stay in step with it (docs/conventions.md §14)."""

from __future__ import annotations

from pathlib import Path

from dockyard.appspec.support import render, sections, status_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_spec_field_has_a_documented_status():
    missing = [f"{kind}.{field}" for kind, _title, model in sections()
               for field in model.model_fields if not status_of(kind, field)[0]]
    assert not missing, f"Missing from dockyard.appspec.support.SUPPORT: {missing}"


def test_spec_fields_doc_is_current():
    doc = (ROOT / "docs" / "spec-fields.md").read_text()
    assert doc == render(), ("docs/spec-fields.md is stale: run "
                             "`.venv/bin/python -m dockyard.appspec.support > docs/spec-fields.md`")


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_readme_lists_every_cli_command():
    from click import Group

    from dockyard.cli.tree import cli

    readme = (ROOT / "README.md").read_text()

    def names(group: Group, prefix: str) -> list[str]:
        out = []
        for name, cmd in group.commands.items():
            out += names(cmd, f"{prefix}{name} ") if isinstance(cmd, Group) else [prefix + name]
        return out

    missing = [n for n in names(cli, "") if n.split()[-1] not in readme]
    assert not missing, f"README.md does not mention: {missing}"
