"""A validated spec plus what the user wrote: their keys, their YAML, and local notes.

Dockyard runs on one machine, so some fields have no local meaning. They are accepted (a spec
that deploys on DigitalOcean deploys here) and listed in ``notes``; components Dockyard cannot
run yet are listed by ``undeployable()`` instead of failing validation.
"""

from __future__ import annotations

import io
from typing import Any

from .enums import AlertRule
from .errors import Loc, SpecIssue, format_path
from .models import AppSpec
from .parse import Parsed, position, round_trip_yaml

_APP_NOTES = {
    "egress": "recorded; traffic leaves from this machine's own address",
    "vpc": "recorded; apps run on this machine's network",
    "disable_edge_cache": "recorded; there is no CDN in front of Dockyard",
    "enhanced_threat_control_enabled": "recorded; no L7 DDoS filtering is applied locally",
    "features": "recorded; DigitalOcean feature flags have no local meaning",
}
_COMPONENT_NOTES = {
    "log_destinations": "recorded; logs stay on this machine and are not forwarded",
    "inactivity_sleep": "recorded; components do not sleep locally",
}
_UNEVALUATED_ALERTS = (AlertRule.CPU_UTILIZATION, AlertRule.MEM_UTILIZATION)


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indents as the user wrote them, for ruamel's dumper."""
    mapping, key_indent, after_key = None, 0, False
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        lead = len(line) - len(stripped)
        if not stripped or stripped.startswith("#"):
            continue
        if after_key and stripped.startswith("- "):
            dash = lead - key_indent
            content = len(stripped[1:]) - len(stripped[1:].lstrip(" ")) + 1
            return mapping or 2, dash + content, dash
        if after_key and mapping is None and lead > key_indent:
            mapping = lead - key_indent
        after_key = stripped.rstrip().endswith(":")
        key_indent = lead
    return mapping or 2, 2, 0


class SpecDocument:
    """A validated App Spec with the source it came from."""

    def __init__(self, spec: AppSpec, parsed: Parsed, filename: str) -> None:
        self.spec = spec
        self.filename = filename
        self._parsed = parsed
        self.notes: list[str] = _notes(spec)

    def position(self, loc: Loc) -> tuple[int, int] | None:
        """1-based (line, column) of a field path in the source, when known."""
        return position(self._parsed.node, loc)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON-able data: only the keys the user wrote, in their order."""
        dumped = self.spec.model_dump(mode="json", exclude_unset=True)
        return _in_order(dumped, self._parsed.data)

    def to_yaml(self) -> str:
        """The user's YAML text with comments and order kept; plain YAML for JSON or dicts."""
        yaml = round_trip_yaml()
        if self._parsed.fmt == "yaml":
            text = self._parsed.text
            yaml.indent(*guess_indent(text))
            yaml.explicit_start = text.lstrip().startswith("---")
            data: Any = self._parsed.root
        else:
            data = {"spec": self.to_dict()} if self._parsed.wrapped else self.to_dict()
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def undeployable(self) -> list[SpecIssue]:
        """Valid components Dockyard cannot run: functions."""
        found: list[tuple[Loc, str]] = []
        for index, fn in enumerate(self.spec.functions):
            found.append((("functions", index), f'functions component "{fn.name}" is not yet '
                          "deployable by Dockyard; DigitalOcean runs it on its Functions service"))
        return [self.issue(loc, message) for loc, message in found]

    def unsupported(self) -> list[SpecIssue]:
        """Valid parts Dockyard cannot run at all (``capabilities.py``): refused by the
        server, never by offline validation."""
        from .capabilities import unsupported

        return [self.issue(loc, message) for loc, message in unsupported(self.spec)]

    def issue(self, loc: Loc, message: str) -> SpecIssue:
        """A message at a field path, located at its line when the source has lines."""
        line, col = self.position(loc) or (None, None)
        return SpecIssue(format_path(loc), message, line, col, self.filename)


def env_entries(node: Any) -> list[tuple[str, Any]]:
    """``(field path, env mapping)`` for app-level and every component's envs."""
    out = [(f"envs[{i}]", e) for i, e in enumerate(node.get("envs") or [])]
    for group in ("services", "workers", "jobs", "static_sites", "functions"):
        for ci, comp in enumerate(node.get(group) or []):
            out += [(f"{group}[{ci}].envs[{i}]", e) for i, e in enumerate(comp.get("envs") or [])]
    return [(w, e) for w, e in out if isinstance(e, dict)]


def _in_order(dumped: Any, written: Any) -> Any:
    """Reorder dumped mappings to follow the user's key order (unknown keys go last)."""
    if isinstance(dumped, dict):
        order = list(written) if isinstance(written, dict) else []
        keys = [k for k in order if k in dumped] + [k for k in dumped if k not in order]
        return {k: _in_order(dumped[k], (written or {}).get(k) if isinstance(written, dict)
                             else None) for k in keys}
    if isinstance(dumped, list):
        rows = written if isinstance(written, list) else []
        return [_in_order(v, rows[i] if i < len(rows) else None) for i, v in enumerate(dumped)]
    return dumped


def _notes(spec: AppSpec) -> list[str]:
    """Fields accepted with no local effect, each saying what it maps to here."""
    notes = []
    if spec.region is not None:
        notes.append(f'region "{spec.region}": recorded; apps run on this machine')
    notes += [f"{key}: {why}" for key, why in _APP_NOTES.items() if key in spec.model_fields_set]
    for field in ("services", "workers", "jobs", "static_sites", "functions"):
        for index, comp in enumerate(getattr(spec, field)):
            notes += _component_notes(f"{field}[{index}]", comp)
    return notes


def _component_notes(where: str, comp: Any) -> list[str]:
    notes = [f"{where}.{key}: {why}" for key, why in _COMPONENT_NOTES.items()
             if key in comp.model_fields_set]
    for index, alert in enumerate(getattr(comp, "alerts", [])):
        if alert.rule in _UNEVALUATED_ALERTS:
            notes.append(f"{where}.alerts[{index}] {alert.rule}: recorded; not evaluated locally")
    return notes

