"""Offline validation of manifests against the official Kubernetes schemas.

``kubernetes-validate`` ships the JSON schemas of every Kubernetes minor version it supports
inside the package, so nothing is fetched. Strict mode also rejects unknown fields. Custom
resources (CloudNativePG's ``Cluster``) have no schema there; their fields are checked by the
semantic tests instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate

from dockyard.appspec import load_spec_file

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ("1.29", "1.32", "1.35")
CUSTOM_KINDS = {"Cluster"}


def spec_files() -> list[Path]:
    """Every spec in examples/ and in the tests' apps and fixtures."""
    found = sorted((ROOT / "examples").rglob("app.yaml"))
    found += sorted((ROOT / "tests" / "apps").rglob("app.yaml"))
    specs = ROOT / "tests" / "fixtures" / "specs"
    found += sorted(p for p in specs.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    return found


def load(path: Path) -> Any:
    return load_spec_file(path).spec


def schema_errors(manifests: list[dict[str, Any]], version: str) -> list[str]:
    """Every problem, as ``Kind/name: field.path: message``; empty when all validate."""
    errors = []
    for manifest in manifests:
        if manifest["kind"] in CUSTOM_KINDS:
            continue
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{where}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    return errors
