"""Every spec of the repository renders to manifests that the official schemas of three
Kubernetes minor versions accept (strict: unknown fields are errors), and matches its golden
file. Regenerate the golden files with ``DOCKYARD_UPDATE_GOLDEN=1``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard.runtime.kubernetes.manifests_yaml import to_yaml
from dockyard.runtime.kubernetes.render import render
from dockyard.runtime.kubernetes.target import Target
from tests.kubernetes.schemas import ROOT, VERSIONS, load, schema_errors, spec_files

GOLDEN = Path(__file__).parent / "golden"
SPECS = spec_files()


def ident(path: Path) -> str:
    return str(path.relative_to(ROOT))


def golden_target(name: str) -> Target:
    return Target(app=name, app_id="7f3c2a10-0000-4000-8000-000000000001",
                  release="5e1d9b2c-0000-4000-8000-000000000002",
                  registry="registry.example.com/dockyard", base_domain="apps.example.com",
                  commits={})


def test_every_spec_of_the_repository_is_covered() -> None:
    names = {ident(p) for p in SPECS}
    assert "examples/profileapp/config/app.yaml" in names
    assert "tests/apps/zero_downtime/app.yaml" in names
    assert any(n.startswith("tests/fixtures/specs/book/") for n in names)
    assert any(n.endswith("workers-ingress.yaml") for n in names)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", SPECS, ids=ident)
def test_rendered_manifests_validate_against_the_official_schema(path: Path,
                                                                  version: str) -> None:
    spec = load(path)
    rendered = render(spec, golden_target(spec.name))
    assert rendered.of_kind("Namespace"), "nothing rendered"
    assert schema_errors(rendered.manifests, version) == []


@pytest.mark.parametrize("path", SPECS, ids=ident)
def test_rendered_manifests_match_the_golden_file(path: Path) -> None:
    spec = load(path)
    text = to_yaml(render(spec, golden_target(spec.name)).manifests)
    golden = GOLDEN / (ident(path).replace("/", "__").rsplit(".", 1)[0] + ".yaml")
    if os.environ.get("DOCKYARD_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert golden.exists(), f"no golden file {golden.name}: run with DOCKYARD_UPDATE_GOLDEN=1"
    assert text == golden.read_text(), f"{golden.name} differs; review, then regenerate"


def test_an_invalid_manifest_is_reported_with_its_field() -> None:
    """The check can fail: a Deployment with a string replica count is refused."""
    spec = load(ROOT / "tests" / "apps" / "zero_downtime" / "app.yaml")
    rendered = render(spec, golden_target(spec.name))
    rendered.named("Deployment", "web")["spec"]["replicas"] = "two"
    rendered.named("Service", "web")["spec"]["colour"] = "blue"
    errors = schema_errors(rendered.manifests, VERSIONS[0])
    assert any(e.startswith("Deployment/web: spec.replicas:") for e in errors), errors
    assert any(e.startswith("Service/web: spec:") and "colour" in e for e in errors), errors
