"""The import graph of ``src/dockyard``: no cycles, and no import from a higher layer.

Every import counts, also those inside functions (a lazy import is still an arrow). The
layers are docs/architecture.md's: a package may import its own modules and any package of a
lower layer, nothing above it.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from dockyard import entrypoints

SRC = Path(__file__).resolve().parents[2] / "src"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("<root>",),                                  # errors, paths, logs, files, proc, settings …
    ("appspec", "store"),
    ("isolation",),
    ("source", "buildpacks", "release"),
    ("runtime", "router", "ingress"),
    ("databases", "alerts"),
    ("deploy",),
    ("api",),
    ("control",),
    ("cli",),
)
RANK = {pkg: rank for rank, pkgs in enumerate(LAYERS) for pkg in pkgs}


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [resolve(f"{base}.{a.name}") or resolve(base) or "" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [resolve(a.name) or "" for a in node.names]
            edges[mod] |= {t for t in targets if t and t != mod}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle (its modules in order, the first repeated at the end), or []."""
    try:
        TopologicalSorter(edges).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return []


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and (SRC / "dockyard" / parts[1]).is_dir():
        return parts[1]
    return "control" if module == "dockyard.control" else "<root>"


def test_the_import_graph_has_no_cycles() -> None:
    assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    cycle = find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(set(cycle)) == ["a", "b", "c"] and cycle[0] == cycle[-1]


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in (SRC / "dockyard").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - set(RANK) == set()


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = sorted(f"{mod} -> {target}" for mod, targets in import_graph().items()
                    for target in targets
                    if RANK[layer_of(target)] > RANK[layer_of(mod)])
    assert upward == []


@pytest.mark.parametrize("module", entrypoints.MODULES)
def test_every_child_entry_point_exists(module: str) -> None:
    assert module in modules(), f"entrypoints names {module}, which does not exist"


@pytest.mark.parametrize("name", sorted(entrypoints.OFFLOADED))
def test_every_offloaded_function_exists(name: str) -> None:
    import importlib

    module, _, function = entrypoints.OFFLOADED[name].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
