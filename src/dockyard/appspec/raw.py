"""Tolerant readers over the plain spec data, for rules that must run even on invalid specs.

Cross-field rules read the data the user wrote, not the validated model, so a wrong type in one
field never hides a rule broken elsewhere: every problem is reported in the same pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .enums import ComponentKind
from .errors import Loc
from .models import COMPONENT_LISTS

Problem = tuple[Loc, str]


def mapping(data: Any, key: str) -> dict[str, Any] | None:
    """data[key] when it is a mapping."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else None


def text(data: Any, key: str) -> str | None:
    """data[key] when it is a string."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def has(data: Any, key: str) -> bool:
    """The user wrote key with a non-null value."""
    return isinstance(data, dict) and data.get(key) is not None


def items(data: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, mapping) for each mapping in the list data[key]."""
    seq = data.get(key) if isinstance(data, dict) else None
    if isinstance(seq, list):
        for index, item in enumerate(seq):
            if isinstance(item, dict):
                yield index, item


@dataclass(frozen=True)
class RawComponent:
    """A component as written: its kind, path, data and (if a string) name."""

    kind: ComponentKind
    loc: Loc
    data: dict[str, Any]

    @property
    def name(self) -> str | None:
        return text(self.data, "name")

    @property
    def label(self) -> str:
        """'services[0] ("web")' for messages."""
        where = f"{self.loc[0]}[{self.loc[1]}]"
        return f'{where} ("{self.name}")' if self.name else where


def components(data: dict[str, Any]) -> list[RawComponent]:
    """Every component mapping in godo order."""
    return [RawComponent(kind, (field, index), item)
            for field, kind in COMPONENT_LISTS for index, item in items(data, field)]
