"""Text to data: YAML (round-trip, with positions) or JSON, duplicate keys, the spec wrapper.

Syntax errors and duplicate keys become a SpecError with line and column, never a traceback.
YAML is loaded with ruamel's round-trip loader so comments, key order and quoting survive for
``to_yaml()``, and every field path can be mapped back to its line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockyard.untrusted import json_depth

from .errors import Loc, SpecError, SpecIssue, format_path, show
from .limits import MAX_DEPTH, flow_problem, node_problem, size_problem


@dataclass
class Parsed:
    """A parsed document: the whole tree, the spec inside it, and how it was written."""

    root: Any
    node: Any
    data: dict[str, Any]
    fmt: str
    text: str = ""
    wrapped: bool = False
    issues: list[SpecIssue] = field(default_factory=list)


def round_trip_yaml() -> YAML:
    """A ruamel instance that keeps comments, order and quotes and never re-wraps lines."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1 << 16
    return yaml


def position(node: Any, loc: Loc) -> tuple[int, int] | None:
    """1-based (line, column) of the deepest part of ``loc`` present in a ruamel tree."""
    if not isinstance(node, CommentedMap | CommentedSeq):
        return None
    pos = (node.lc.line, node.lc.col)
    for seg in loc:
        try:
            if isinstance(node, CommentedMap) and seg in node:
                pos, node = node.lc.key(seg), node[seg]
            elif isinstance(node, CommentedSeq) and isinstance(seg, int) and seg < len(node):
                pos, node = node.lc.item(seg), node[seg]
            else:
                break
        except (KeyError, TypeError, IndexError):
            break
    return (pos[0] + 1, pos[1] + 1) if pos and pos[0] is not None else None


def joined(text: str) -> str:
    """``"\\ud83d\\ude00"`` escapes as one character, as JSON reads them (ruamel keeps the
    two halves apart); an unpaired half stays, and validation refuses it."""
    try:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        return text


def plain(value: Any) -> Any:
    """ruamel's subclasses to plain dict/list/str/int/float/bool, as JSON would give."""
    if isinstance(value, dict):
        return {joined(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return joined(str(value))
    for kind in (int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def _syntax_issue(exc: YAMLError, filename: str, what: str) -> SpecIssue:
    if not isinstance(exc, MarkedYAMLError):
        return SpecIssue("", f"{what} syntax error: {exc}", file=filename)
    mark = exc.problem_mark or exc.context_mark
    message = f"{what} syntax error: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} at line {exc.context_mark.line + 1})"
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return SpecIssue("", message, line, col, filename)


def _duplicate_message(key: str, first: Any, again: Any) -> str:
    def at(mark: Any) -> str:
        column = f", column {mark.column + 1}" if first.line == again.line else ""
        return f"line {mark.line + 1}{column}"
    return f'duplicate key "{key}" (first at {at(first)}, again at {at(again)}); keep one'


def _duplicates(node: Node | None, loc: Loc, seen: set[int]) -> list[tuple[Loc, str, Any]]:
    """(path, message, mark) for every key repeated within one mapping, at any depth."""
    if node is None or id(node) in seen:
        return []
    seen.add(id(node))
    found: list[tuple[Loc, str, Any]] = []
    if isinstance(node, SequenceNode):
        for index, child in enumerate(node.value):
            found += _duplicates(child, (*loc, index), seen)
    elif isinstance(node, MappingNode):
        marks: dict[str, Any] = {}
        for key_node, child in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None or key == "<<":
                continue
            if key in marks:
                found.append(((*loc, key), _duplicate_message(key, marks[key],
                                                              key_node.start_mark),
                              key_node.start_mark))
                continue
            marks[key] = key_node.start_mark
            found += _duplicates(child, (*loc, key), seen)
    return found


def _refuse(filename: str, message: str) -> SpecError:
    return SpecError([SpecIssue("", message, file=filename)], filename=filename)


def _compose(yaml: YAML, text: str, filename: str, what: str) -> Node | None:
    """The node tree, refused when it is too deep or expands too far (limits.py)."""
    try:
        node = yaml.compose(text)
    except RecursionError:
        raise _refuse(filename, f"{what} is nested too deeply; the spec may nest at most "
                                f"{MAX_DEPTH} levels") from None
    problem = node_problem(node)
    if problem:
        raise _refuse(filename, problem)
    return node


def _load_yaml(text: str, filename: str, what: str) -> Any:
    """Compose (syntax, limits, duplicate keys), then load round-trip."""
    yaml = round_trip_yaml()
    try:
        dups = _duplicates(_compose(yaml, text, filename, what), (), set())
        if dups:
            raise SpecError([SpecIssue(format_path(loc), msg, m.line + 1, m.column + 1, filename)
                             for loc, msg, m in dups], filename=filename)
        return yaml.load(text)
    except YAMLError as exc:
        raise SpecError([_syntax_issue(exc, filename, what)], filename=filename) from None


def _load_json(text: str, filename: str) -> tuple[Any, Any]:
    """(data, ruamel tree or None). JSON is YAML too, so ruamel supplies line numbers."""
    if json_depth(text) > MAX_DEPTH:
        raise _refuse(filename, f"the spec nests more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        issue = SpecIssue("", f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno, filename)
        raise SpecError([issue], filename=filename) from None
    try:
        tree = _load_yaml(text, filename, "JSON")
    except SpecError as exc:
        if not all(i.message.startswith("JSON syntax error") for i in exc.issues):
            raise  # duplicate keys, limits
        return data, None  # valid JSON that ruamel reads differently: keep it, lose lines
    return plain(tree), tree


def unwrap(root: Any, filename: str) -> tuple[Any, bool, list[SpecIssue]]:
    """A ``{spec: …}`` wrapper (DigitalOcean's deploy template) yields its spec."""
    if not (isinstance(root, dict) and isinstance(root.get("spec"), dict) and "name" not in root):
        return root, False, []
    issues = []
    for key in root:
        if key != "spec":
            pos = position(root, (key,)) or (None, None)
            issues.append(SpecIssue(str(key), 'unknown field beside "spec" in the wrapper; a '
                                    "wrapped spec holds only spec", pos[0], pos[1], filename))
    return root["spec"], True, issues


def parse_text(text: str, filename: str) -> Parsed:
    """Parse YAML or JSON (text starting with "{" is JSON) into a Parsed document."""
    text = text.removeprefix("\ufeff")
    empty = SpecError([SpecIssue("", "the spec is empty; expected a mapping with at least "
                                 "name", file=filename)], filename=filename)
    if not text.strip():
        raise empty
    problem = size_problem(text)
    if problem:
        raise _refuse(filename, problem)
    if text.lstrip().startswith("{"):
        data, tree = _load_json(text, filename)
        fmt, root = "json", tree if tree is not None else data
    else:
        fmt = "yaml"
        problem = flow_problem(text)
        if problem:
            raise _refuse(filename, problem)
        root = _load_yaml(text, filename, "YAML")
    if root is None:
        raise empty
    if not isinstance(root, dict):
        issue = SpecIssue("", f"expected a mapping (name, services, ...) at the top level, "
                          f"found {show(plain(root))}", 1, 1, filename)
        raise SpecError([issue], filename=filename)
    node, wrapped, issues = unwrap(root, filename)
    return Parsed(root, node, plain(node), fmt, text, wrapped, issues)
