"""Reading input nobody vouched for: JSON bytes from the network, text from a user's file.

Every failure is a ``DockyardError`` with a plain message (what was wrong, where), never a
``UnicodeDecodeError`` or ``RecursionError`` traceback. JSON must be UTF-8 (RFC 8259 §8.1),
is nested at most ``MAX_JSON_DEPTH`` levels (Python's parser recurses, so depth is checked by
a flat scan before parsing), and holds no unpaired UTF-16 surrogate (``"\\ud800"`` decodes to
a string no encoder can write back out).
"""

from __future__ import annotations

import json
from typing import Any

from dockyard.errors import DockyardError

MAX_JSON_DEPTH = 100
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def bad_input(message: str) -> DockyardError:
    return DockyardError(message, code="bad_request")


def decode_utf8(raw: bytes, what: str) -> str:
    """``raw`` as text; a UTF-8 byte-order mark is dropped, anything but UTF-8 is refused."""
    if raw.startswith(_UTF16_32_BOMS) or (len(raw) >= 2 and b"\x00" in raw[:4]):
        raise bad_input(f"{what} is UTF-16 or UTF-32 text; send it as UTF-8")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise bad_input(f"{what} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset "
                        f"{exc.start} ({exc.reason})") from None


def json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _segment(key: object) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return "." + printable(str(key))


def printable(text: str) -> str:
    """``text`` safe to print or encode: unpaired surrogates become ``\\udXXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def unpaired_surrogate(data: Any) -> str | None:
    """The path (``.spec.name``, ``[2]``) of the first key or string holding an unpaired
    surrogate, or None. Iterative: nesting depth cannot make it recurse."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where or "(top level)"
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((where + _segment(key), key))
                stack.append((where + _segment(key), item))
        elif isinstance(value, list):
            stack.extend((where + _segment(i), item) for i, item in enumerate(value))
    return None


def loads(raw: bytes | str, what: str = "request body",
          max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON; every refusal is a ``DockyardError`` saying what was wrong."""
    text = decode_utf8(raw, what) if isinstance(raw, bytes) else raw
    if json_depth(text) > max_depth:
        raise bad_input(f"{what} is nested more than {max_depth} levels deep")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad_input(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} "
                        f"column {exc.colno}") from None
    except RecursionError:  # the scan above makes this unreachable; never a traceback
        raise bad_input(f"{what} is nested too deeply") from None
    where = unpaired_surrogate(data)
    if where is not None:
        raise bad_input(f"{what} holds an unpaired UTF-16 surrogate (such as \"\\ud800\") at "
                        f"{where.lstrip('.')}; text must be valid Unicode")
    return data
