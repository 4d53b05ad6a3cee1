"""Replace the env vars of the app or of one component in the user's spec text, keeping the
rest as it was written (comments, order, quotes).

The dashboard's env editor sends a scope's variables; the YAML this returns then goes through
``PUT /v2/apps/{id}`` like any spec, which validates it and encrypts new SECRET values. A
variable whose key was there before keeps its place in the mapping and its comments.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dockyard.errors import DockyardError, NotFound

from .document import guess_indent
from .parse import parse_text, round_trip_yaml

FIELDS = ("key", "value", "scope", "type")
GROUPS = ("services", "workers", "jobs", "static_sites", "functions")


def replace_envs(text: str, envs: dict[str, list[dict[str, Any]]]) -> str:
    """``envs`` maps a scope (``""`` for the app, else a component's name) to its complete
    new list of variables (``key``, ``value``, optional ``scope`` and ``type``)."""
    if not isinstance(envs, dict) or not envs:
        raise DockyardError('"envs" must map a scope ("" for the app, or a component name) '
                            "to a list of variables", code="bad_request")
    parsed = parse_text(text, "spec")
    for scope, entries in envs.items():
        target = parsed.node if scope == "" else component_node(parsed.node, scope)
        set_envs(target, checked_entries(scope, entries))
    yaml = round_trip_yaml()
    if parsed.fmt == "yaml":
        yaml.indent(*guess_indent(text))
        yaml.explicit_start = text.lstrip().startswith("---")
    out = io.StringIO()
    yaml.dump(parsed.root, out)
    return out.getvalue()


def component_node(node: Any, name: str) -> Any:
    for group in GROUPS:
        for comp in node.get(group) or []:
            if isinstance(comp, dict) and comp.get("name") == name:
                return comp
    names = [c.get("name") for g in GROUPS for c in node.get(g) or [] if isinstance(c, dict)]
    raise NotFound(f"envs: the spec has no component {name!r}; its components: "
                   f"{', '.join(map(str, names)) or 'none'}")


def checked_entries(scope: str, entries: Any) -> list[dict[str, str]]:
    """Plain string fields only; what they may hold is checked by the spec's validation."""
    where = f"envs[{scope!r}]"
    if not isinstance(entries, list):
        raise DockyardError(f"{where}: expected a list of variables", code="bad_request")
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise DockyardError(f"{where}[{index}]: expected an object with a string \"key\"",
                                code="bad_request")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise DockyardError(f"{where}[{index}]: unknown field {unknown[0]!r}; a variable "
                                f"has {', '.join(FIELDS)}", code="bad_request")
        for field, value in entry.items():
            if not isinstance(value, str):
                raise DockyardError(f"{where}[{index}].{field}: expected a string, found "
                                    f"{type(value).__name__}", code="bad_request")
        out.append({f: entry[f] for f in FIELDS if f in entry})
    return out


def set_envs(node: Any, entries: list[dict[str, str]]) -> None:
    """Update the ``envs`` list in place: kept keys keep their mapping (and its comments)."""
    old = node.get("envs")
    by_key = {e.get("key"): e for e in old if isinstance(e, dict)} if isinstance(old, list) else {}
    new = []
    for entry in entries:
        item = by_key.pop(entry["key"], None)
        item = item if item is not None else CommentedMap()
        for field in FIELDS:
            if field in entry:
                if item.get(field) != entry[field]:  # an unchanged scalar keeps its quoting
                    item[field] = entry[field]
            elif field in item:
                del item[field]
        new.append(item)
    if not new:
        node.pop("envs", None)
    elif isinstance(old, CommentedSeq):
        old[:] = new
    else:
        node["envs"] = CommentedSeq(new)
