"""Manifests as a YAML stream (``---`` between documents), multi-line strings as blocks."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import LiteralScalarString


def _blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    return value


def to_yaml(manifests: Iterable[dict[str, Any]], header: str = "") -> str:
    """One document per manifest; ``header`` lines become comments at the top."""
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.Representer = RoundTripRepresenter
    buf = io.StringIO()
    for line in header.splitlines():
        buf.write(f"# {line}\n".replace("# \n", "#\n"))
    for manifest in manifests:
        buf.write("---\n")
        yaml.dump(_blocks(manifest), buf)
    return buf.getvalue()
