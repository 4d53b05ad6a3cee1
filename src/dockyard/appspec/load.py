"""Entry points: load a spec from text, a file, stdin or an API body, and validate it fully.

The models and the cross-field rules both run on every spec, and their problems are merged
into one SpecError, located by line and column when the source has them.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from dockyard.errors import DockyardError
from dockyard.untrusted import decode_utf8

from .document import SpecDocument, env_entries
from .errors import SpecError, SpecIssue, format_path
from .limits import MAX_SPEC_BYTES, bad_strings, data_problem
from .models import AppSpec
from .parse import Parsed, parse_text, plain, position, unwrap
from .rules import check_rules
from .translate import Problem, model_problems

MAX_ISSUES = 100
"""Issues listed in one error; a spec with thousands of bad values gets the first ones."""


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


def _refusal(issues: list[SpecIssue], filename: str) -> SpecError:
    """Every issue, or the first ``MAX_ISSUES`` and a count of the rest."""
    if len(issues) > MAX_ISSUES:
        rest = len(issues) - MAX_ISSUES
        more = SpecIssue(issues[MAX_ISSUES].path, f"… and {rest} more problems, not listed",
                         file=filename)
        return SpecError([*issues[:MAX_ISSUES], more], filename=filename, total=len(issues))
    return SpecError(issues, filename=filename)


def _unreadable(parsed: Parsed, filename: str) -> SpecError | None:
    """Data no rule should read: too big, too deep, or text no encoder can write."""
    problem = data_problem(parsed.data)
    if problem:
        return SpecError([SpecIssue("", problem, file=filename)], filename=filename)
    bad = list(bad_strings(parsed.data))
    if bad:
        return _refusal(_issues(bad, parsed, filename), filename)
    return None


def _validate(parsed: Parsed, filename: str) -> SpecDocument:
    refused = _unreadable(parsed, filename)
    if refused is not None:
        raise refused
    problems: list[Problem] = []
    spec: AppSpec | None = None
    try:
        spec = AppSpec.model_validate(parsed.data)
    except ValidationError as exc:
        problems += model_problems(exc)
    problems += check_rules(parsed.data)
    if problems or parsed.issues or spec is None:
        raise _refusal(_issues(problems, parsed, filename), filename)
    return SpecDocument(spec, parsed, filename)


def load_spec(text: str, filename: str = "<spec>") -> SpecDocument:
    """Load and validate YAML or JSON text: a bare spec or a ``{spec: …}`` wrapper."""
    return _validate(parse_text(text, filename), filename)


def load_spec_file(path: str | os.PathLike[str]) -> SpecDocument:
    """Load and validate a spec file; "-" reads standard input."""
    filename = "<stdin>" if str(path) == "-" else str(path)
    try:
        raw = _read_capped(path)
        text = decode_utf8(raw, "the spec")
    except OSError as exc:
        issue = SpecIssue("", f"cannot read the spec file: {exc.strerror or exc}", file=filename)
        raise SpecError([issue], filename=filename, code="spec.unreadable") from None
    except DockyardError as exc:
        raise SpecError([SpecIssue("", exc.message, file=filename)], filename=filename) from None
    return load_spec(text, filename)


def _read_capped(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes (stdin for "-"); a file over the size limit is refused unread."""
    if str(path) == "-":
        raw = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
    else:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SPEC_BYTES + 1)
    if len(raw) > MAX_SPEC_BYTES:
        raise DockyardError(f"the spec is larger than the limit of {MAX_SPEC_BYTES:,} bytes "
                            f"({MAX_SPEC_BYTES // 1024} KiB)")
    return raw


def parse_spec_data(data: dict[str, Any], filename: str = "<request>") -> SpecDocument:
    """Validate a spec given as plain data (API bodies): bare or ``{spec: …}``, no lines."""
    if not isinstance(data, dict):
        issue = SpecIssue("", f"expected a mapping (name, services, ...), found "
                          f"{type(data).__name__}", file=filename)
        raise SpecError([issue], filename=filename)
    problem = data_problem(data)  # before plain(), which recurses
    if problem:
        raise SpecError([SpecIssue("", problem, file=filename)], filename=filename)
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
