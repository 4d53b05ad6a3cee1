"""What a spec document may cost to read: its size, its nesting, its alias expansion, its text.

A 300-byte YAML file with seven nested aliases expands to millions of nodes, and 5,000 ``[``
make ruamel's and json's parsers recurse until Python gives up. Real specs are a few KB, a
handful of levels deep, with few aliases, so the limits below are far above any real spec
and far below what would hurt: each refusal is a ``SpecIssue`` with a plain message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from .errors import Loc

MAX_SPEC_BYTES = 128 * 1024
"""A spec's text, in UTF-8 bytes (the largest real specs are about 20 KB)."""
MAX_DEPTH = 32
"""Nesting of mappings and lists (a spec's deepest field, ingress…path.prefix, is 6)."""
MAX_FLOW_BRACKETS = 100
"""Unclosed ``[``/``{`` anywhere in YAML text: checked before parsing, as ruamel's scanner
slows down (seconds) and then recurses too deep on thousands of them."""
MAX_NODES = 50_000
"""Mappings, lists and scalars once every alias is expanded."""


def size_problem(text: str) -> str | None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_SPEC_BYTES:
        return None
    return (f"the spec is {size:,} bytes long; the limit is {MAX_SPEC_BYTES:,} bytes "
            f"({MAX_SPEC_BYTES // 1024} KiB)")


def flow_problem(text: str) -> str | None:
    """Too many unclosed brackets (a quick over-count: brackets in strings count too)."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_FLOW_BRACKETS:
                return (f"more than {MAX_FLOW_BRACKETS} nested [ or {{ brackets; "
                        f"the spec may nest at most {MAX_DEPTH} levels")
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _measure(root: Node) -> tuple[int, int] | None:
    """(values, depth) of the tree with every alias expanded; None for a recursive alias.

    A composed tree shares one node object per anchor, so both are computed bottom-up with
    a memo: the cost is the nodes written, not the nodes they expand to.
    """
    sizes: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = _children(node)
        if done:
            visiting.discard(key)
            measured = [sizes[id(k)] for k in kids]
            sizes[key] = (1 + sum(m[0] for m in measured),
                          1 + max((m[1] for m in measured), default=0))
        elif key in visiting:
            return None
        elif key not in sizes:
            visiting.add(key)
            stack.append((node, True))
            stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes[id(root)]


def node_problem(root: Node | None) -> str | None:
    """Too deep, too many values once aliases are expanded (an alias bomb), or recursive."""
    if root is None:
        return None
    measured = _measure(root)
    if measured is None:
        return "a YAML alias refers to a mapping or list that contains it"
    total, depth = measured
    if depth > MAX_DEPTH:
        return f"the spec nests more than {MAX_DEPTH} levels deep"
    if total > MAX_NODES:
        return (f"the spec expands to {total:,} values (YAML aliases included); the limit is "
                f"{MAX_NODES:,}")
    return None


def data_problem(data: Any) -> str | None:
    """Plain data (an API's spec object) nested too deep or holding too many values."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return f"the spec nests more than {MAX_DEPTH} levels deep"
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
            count += len(value)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    if count > MAX_NODES:
        return f"the spec holds {count:,} values; the limit is {MAX_NODES:,}"
    return None


def bad_strings(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Keys and strings no field can hold: unpaired surrogates (no encoder can write them)
    and NUL characters (no command line, environment or file name can hold one)."""
    stack: list[tuple[Loc, Any]] = [(loc, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                yield where, problem
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(str(key))
                if problem:
                    yield (*where, str(key)), f"the key {problem}"
                    continue
                stack.append(((*where, key), item))
        elif isinstance(value, list):
            stack.extend(((*where, i), item) for i, item in enumerate(value))


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds an unpaired UTF-16 surrogate (such as \\ud800); text must be valid Unicode"
    return None
