"""Entry points: load a spec from text, a file, stdin or an API body, and validate it fully.

The models and the cross-field rules both run on every spec, and their problems are merged
into one SpecError, located by line and column when the source has them.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .document import SpecDocument, env_entries
from .errors import SpecError, SpecIssue, format_path
from .models import AppSpec
from .parse import Parsed, parse_text, plain, position, unwrap
from .rules import check_rules
from .translate import Problem, model_problems


def _issues(problems: list[Problem], parsed: Parsed, filename: str) -> list[SpecIssue]:
    """Problems as located issues, duplicates dropped, in source order when lines are known."""
    issues: list[SpecIssue] = list(parsed.issues)
    seen: set[tuple[str, str]] = set()
    for loc, message in problems:
        path = format_path(loc)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, col = position(parsed.node, loc) or (None, None)
        issues.append(SpecIssue(path, message, line, col, filename))
    return sorted(issues, key=lambda i: (i.line is None, i.line or 0, i.column or 0))


def _validate(parsed: Parsed, filename: str) -> SpecDocument:
    problems: list[Problem] = []
    spec: AppSpec | None = None
    try:
        spec = AppSpec.model_validate(parsed.data)
    except ValidationError as exc:
        problems += model_problems(exc)
    problems += check_rules(parsed.data)
    if problems or parsed.issues or spec is None:
        raise SpecError(_issues(problems, parsed, filename), filename=filename)
    return SpecDocument(spec, parsed, filename)


def load_spec(text: str, filename: str = "<spec>") -> SpecDocument:
    """Load and validate YAML or JSON text: a bare spec or a ``{spec: …}`` wrapper."""
    return _validate(parse_text(text, filename), filename)


def load_spec_file(path: str | os.PathLike[str]) -> SpecDocument:
    """Load and validate a spec file; "-" reads standard input."""
    if str(path) == "-":
        return load_spec(sys.stdin.read(), "<stdin>")
    filename = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        issue = SpecIssue("", f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
                          file=filename)
        raise SpecError([issue], filename=filename) from None
    except OSError as exc:
        issue = SpecIssue("", f"cannot read the spec file: {exc.strerror or exc}", file=filename)
        raise SpecError([issue], filename=filename, code="spec.unreadable") from None
    return load_spec(text, filename)


def parse_spec_data(data: dict[str, Any], filename: str = "<request>") -> SpecDocument:
    """Validate a spec given as plain data (API bodies): bare or ``{spec: …}``, no lines."""
    if not isinstance(data, dict):
        issue = SpecIssue("", f"expected a mapping (name, services, ...), found "
                          f"{type(data).__name__}", file=filename)
        raise SpecError([issue], filename=filename)
    root = plain(data)
    node, wrapped, issues = unwrap(root, filename)
    return _validate(Parsed(root, None, node, "dict", wrapped=wrapped, issues=issues), filename)


def with_env_values(doc: SpecDocument, change: Callable[[str, dict[str, Any]], str | None]
                    ) -> SpecDocument:
    """A copy of ``doc`` where ``change(where, env)`` may replace env values (``None``: keep).

    Edits go into the user's own tree, so comments and order survive (used to store SECRET
    values encrypted in both the spec and its YAML).
    """
    return _edited(doc, lambda tree: [(where, env, "value")
                                      for where, env in env_entries(tree)], change)


def with_image_credentials(doc: SpecDocument,
                           change: Callable[[str, dict[str, Any]], str | None]) -> SpecDocument:
    """A copy of ``doc`` where ``change(where, image)`` may replace an image source's
    ``registry_credentials`` (``None``: keep); comments and order survive, as above."""
    def images(tree: Any) -> list[tuple[str, Any, str]]:
        return [(f"{group}[{i}].image", comp["image"], "registry_credentials")
                for group in ("services", "workers", "jobs")
                for i, comp in enumerate(tree.get(group) or [])
                if isinstance(comp, dict) and isinstance(comp.get("image"), dict)
                and comp["image"].get("registry_credentials")]
    return _edited(doc, images, change)


def _edited(doc: SpecDocument, entries: Callable[[Any], list[tuple[str, Any, str]]],
            change: Callable[[str, dict[str, Any]], str | None]) -> SpecDocument:
    parsed = doc._parsed
    yaml = parsed.fmt == "yaml"
    tree = parsed.node if yaml else copy.deepcopy(parsed.data)
    for where, entry, key in entries(tree):
        new = change(where, entry)
        if new is not None:
            entry[key] = new
    if yaml:
        return load_spec(doc.to_yaml(), doc.filename)
    return parse_spec_data({"spec": tree} if parsed.wrapped else tree, doc.filename)
