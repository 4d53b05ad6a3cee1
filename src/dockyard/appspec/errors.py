"""Spec problems: one issue per mistake, all of them raised together.

Users fix a spec in one pass when every problem comes back at once, each naming the file, line,
field path, what was expected and what was found (docs/conventions.md §9).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dockyard.errors import DockyardError

Loc = tuple[str | int, ...]
"""A field path as segments: ("services", 0, "routes", 0, "path")."""


PLAIN_KEY_RE = re.compile(r"[A-Za-z0-9_]+")


def format_path(loc: Loc) -> str:
    """Render a path DigitalOcean-style: services[0].routes[0].path.

    A key that is not a plain word (empty, spaces, a newline, "<<") is quoted, escaped, in
    brackets: ``services[0]["my key"]``, so a path is never empty and always one line.
    """
    out = ""
    for seg in loc:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif not PLAIN_KEY_RE.fullmatch(str(seg)):
            out += "[" + json.dumps(str(seg)).encode("utf-8", "backslashreplace").decode() + "]"
        else:
            out += f".{seg}" if out else str(seg)
    return out


def show(value: object) -> str:
    """Show a user's value in a message: strings quoted, mappings and lists by kind."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):  # escaped: one line, and printable (no lone surrogate)
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode()
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{value} (a {type(value).__name__})"


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec, located as precisely as the source allows."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
        elif self.line is not None:
            where = f"line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        parts = [p for p in (where, self.path, self.message) if p]
        return ": ".join(parts)


class SpecError(DockyardError):
    """The spec is invalid; ``issues`` lists every problem found, not just the first."""

    code = "spec.invalid"
    status = 422

    def __init__(self, issues: list[SpecIssue], *, filename: str | None = None,
                 code: str | None = None, total: int | None = None) -> None:
        self.issues = list(issues)
        self.filename = filename
        count = total or len(self.issues)
        noun = "problem" if count == 1 else "problems"
        header = f"{filename or 'app spec'}: {count} {noun} in the app spec"
        body = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"{header}\n{body}" if body else header, code=code)
