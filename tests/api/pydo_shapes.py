"""DigitalOcean's response shapes as pydo documents them, and a check of a body against them.

pydo's operations carry an example body per status code in their docstrings (generated from
DigitalOcean's OpenAPI): keys, value types, ``"Known values are: …"`` enums in comments, and
timestamps written ``"2020-02-20 00:00:00"``. ``documented(op)`` reads them back as Python
values; ``mismatches(example, body)`` lists every place a real body differs (a key
DigitalOcean does not have, a value of another type, a value outside an enum, a timestamp not
in RFC 3339).
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from pydo.operations._operations import AppsOperations

MARK = re.compile(r"# response body for status code\(s\): (.+)$")
CODE_START = re.compile(r'\s*([}\]]|"[^"]*":)')  # a closing bracket or a key
KNOWN = re.compile(r"Known values are: (.*?)\.(?:\s|$)")
TYPE_NAMES = {"bool": True, "str": "str", "int": 0, "float": 0.0}
ENUM = "enum::"
EXAMPLE_TIME = "2020-02-20 00:00:00"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def operations() -> list[str]:
    """Every public operation of ``client.apps``, from pydo itself."""
    return sorted(name for name, _ in inspect.getmembers(AppsOperations, inspect.isfunction)
                  if not name.startswith("_"))


def split_comment(line: str) -> tuple[str, str | None]:
    """The code of a line and its ``# …`` comment (a ``#`` inside a string is code)."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), None


def depth(code: str) -> int:
    """Brackets opened minus closed, outside strings."""
    text = re.sub(r'"[^"]*"', '""', code)
    return text.count("{") + text.count("[") - text.count("}") - text.count("]")


def wrapped(code: str) -> bool:
    """The value goes on on the next line: the line ends with ``:`` or inside a string."""
    return code.endswith(":") or code.count('"') % 2 == 1


@dataclass
class Example:
    """The code lines of one example body, each with the comment written beside it."""

    code: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, code: str, note: str | None) -> None:
        self.code.append(code)
        self.notes.append(note or "")

    def text(self) -> str:
        """The example as a Python expression; enum values marked from their comments."""
        out = []
        for code, note in zip(self.code, self.notes, strict=True):
            known = KNOWN.search(note)
            if known and re.search(r':\s*"[^"]*",?$', code):
                values = "|".join(re.findall(r'"([^"]*)"', known.group(1)))
                code = re.sub(r'"[^"]*"(,?)$', f'"{ENUM}{values}"\\1', code)
            out.append(code)
        return "\n".join(out)


def example(lines: list[str], start: int) -> Example:
    """The ``response == {…}`` example at ``lines[start]``. A comment goes on on lines indented
    deeper than its code line; a wrapped value goes on on the next line."""
    code, note = split_comment(lines[start].strip().removeprefix("response ==").strip())
    found = Example()
    found.add(code, note)
    level, last_indent, in_comment = depth(code), 0, note is not None
    for line in lines[start + 1:]:
        if level <= 0:
            break
        indent = len(line) - len(line.lstrip())
        if in_comment and indent > last_indent and not CODE_START.match(line):
            found.notes[-1] += " " + line.strip()
            continue
        code, note = split_comment(line.strip())
        in_comment = note is not None
        if wrapped(found.code[-1]):
            found.code[-1] += " " + code
            found.notes[-1] += " " + (note or "")
        elif code:
            found.add(line[:indent] + code, note)
            last_indent = indent
        elif note is not None:
            found.notes[-1] += " " + note
        level += depth(code)
    return found


def to_value(node: ast.AST) -> Any:
    """A literal where type names (``bool``, ``str`` …) stand for a value of that type."""
    if isinstance(node, ast.Name):
        return TYPE_NAMES[node.id]
    if isinstance(node, ast.Dict):
        return {to_value(k): to_value(v) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.List):
        return [to_value(e) for e in node.elts]
    return ast.literal_eval(node)


def documented(operation: str) -> dict[str, Any]:
    """Status code → the documented example body of one operation."""
    lines = (inspect.getdoc(getattr(AppsOperations, operation)) or "").splitlines()
    out: dict[str, Any] = {}
    for i, line in enumerate(lines):
        found = MARK.search(line)
        if found:
            body = to_value(ast.parse(example(lines, i + 1).text(), mode="eval").body)
            for code in found.group(1).split(","):
                out[code.strip()] = body
    return out


def mismatches(doc: Any, got: Any, path: str = "", extra: tuple[str, ...] = ()) -> list[str]:
    """Where ``got`` is not in the documented shape ``doc``. ``extra`` holds regular
    expressions of what DigitalOcean's docs do not have but may be answered: a key's path
    (``.app.dockyard``), or a path and an enum value (``.app.spec.jobs[0].kind=SCHEDULED``)."""
    if isinstance(doc, dict):
        return object_mismatches(doc, got, path, extra)
    if isinstance(doc, list):
        if not isinstance(got, list):
            return [f"{path}: expected a list, got {got!r:.60}"]
        if not doc or doc[0] == {}:
            return []
        return [m for i, item in enumerate(got)
                for m in mismatches(doc[0], item, f"{path}[{i}]", extra)]
    return scalar_mismatch(doc, got, path, extra)


def object_mismatches(doc: dict[str, Any], got: Any, path: str,
                      extra: tuple[str, ...]) -> list[str]:
    if not isinstance(got, dict):
        return [f"{path}: expected an object, got {got!r:.60}"]
    if not doc:
        return []  # documented as a free-form object
    if list(doc) == ["str"]:  # a map: any key, documented values
        return [m for k, v in got.items() for m in mismatches(doc["str"], v, f"{path}.{k}",
                                                              extra)]
    out: list[str] = []
    for key, value in got.items():
        where = f"{path}.{key}"
        if key in doc:
            out += mismatches(doc[key], value, where, extra)
        elif not any(re.fullmatch(pattern, where) for pattern in extra):
            out.append(f"{where}: not in DigitalOcean's shape (documented: "
                       f"{', '.join(sorted(doc))})")
    return out


def scalar_mismatch(doc: Any, got: Any, path: str, extra: tuple[str, ...] = ()) -> list[str]:
    if isinstance(doc, bool):
        ok = isinstance(got, bool)
    elif isinstance(doc, int | float):
        ok = isinstance(got, int | float) and not isinstance(got, bool)
    elif isinstance(doc, str) and doc.startswith(ENUM):
        values = doc.removeprefix(ENUM).split("|")
        allowed = any(re.fullmatch(pattern, f"{path}={got}") for pattern in extra)
        if got not in values and not allowed:
            return [f"{path}: {got!r} is not one of {', '.join(values)}"]
        return []
    elif doc == EXAMPLE_TIME:
        if not (isinstance(got, str) and RFC3339.fullmatch(got)):
            return [f"{path}: {got!r} is not an RFC 3339 timestamp"]
        return []
    else:
        ok = isinstance(got, str)
    return [] if ok else [f"{path}: expected {type(doc).__name__}, got {got!r:.60}"]
