"""Generated and mutated specs through the validator (library and CLI): never a traceback,
every refusal names a field path, nothing accepted that the router, nginx or supervisord
refuse."""

from __future__ import annotations

import os
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from dockyard.appspec import SpecError, load_spec, parse_spec_data
from dockyard.router.files import Layout
from tests.conftest import DOCKYARD
from tests.fuzz.checks import TRACE_MARKS, accepted_spec_runs, refusal_is_plain
from tests.fuzz.conftest import EXAMPLES, examples
from tests.fuzz.strategies import as_json, mutated, to_yaml, yaml_texts


def outcome(load, source, layout: Layout, real_checks: bool = False) -> str:  # type: ignore[no-untyped-def]
    try:
        doc = load(source)
    except SpecError as exc:
        refusal_is_plain(exc)
        return "refused"
    accepted_spec_runs(doc, layout, real_checks=real_checks)
    return "accepted"


def test_the_suite_runs_at_least_2000_examples():
    assert sum(EXAMPLES.values()) >= 2000


@settings(max_examples=examples("library"))
@given(mutated(), st.sampled_from(["json", "yaml"]), st.integers(0, 3))
def test_specs_as_data_and_as_text(layout: Layout, spec, fmt: str, sample: int) -> None:  # type: ignore[no-untyped-def]
    """Each spec as API data, and as JSON or YAML text; accepted ones are rendered, and one
    in four goes through the real ``haproxy -c`` and ``nginx -t``."""
    if isinstance(spec, dict):
        outcome(parse_spec_data, spec, layout, real_checks=sample == 0)
    text = as_json(spec) if fmt == "json" else None
    if text is None:
        try:
            text = to_yaml(spec, anchors=False)
        except Exception:  # noqa: BLE001 - values YAML cannot hold (lone surrogates)
            text = as_json(spec)
    outcome(lambda s: load_spec(s, f"fuzz.{fmt}"), text, layout)


@settings(max_examples=examples("text"))
@given(yaml_texts())
def test_yaml_and_json_text(layout: Layout, text: str) -> None:
    outcome(lambda s: load_spec(s, "fuzz.yaml"), text, layout, real_checks=True)


@settings(max_examples=examples("cli"))
@given(st.one_of(yaml_texts(), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
def test_cli_spec_validate(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.getbasetemp() / "fuzz-cli-home"
    raw = text.encode("utf-8", "surrogatepass")
    proc = subprocess.run([DOCKYARD, "apps", "spec", "validate", "--schema-only", "-"],
                          input=raw,
                          capture_output=True, timeout=120,
                          env={**os.environ, "DOCKYARD_HOME": str(home)})
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 1), err
    assert not any(mark in err for mark in TRACE_MARKS), err
    lines = [line for line in err.splitlines() if line]
    assert all(line.startswith((" !     ", "       ")) for line in lines), err
