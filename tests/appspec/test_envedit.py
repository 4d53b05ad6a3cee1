"""The env editor's spec edit: one scope's variables replaced, the rest of the text as the
user wrote it."""

from __future__ import annotations

import pytest

from dockyard.appspec import load_spec
from dockyard.appspec.envedit import replace_envs
from dockyard.errors import DockyardError, NotFound

TEXT = """\
# the shop
name: shop   # keep me
envs:
  # shown on the home page
  - key: GREETING
    value: hello  # inline comment
  - key: API_KEY
    value: EV[1:dky-abc:token]
    type: SECRET
services:
  - name: web
    github:
      repo: you/shop
      branch: main
    envs:
      - key: MODE
        value: demo
        scope: RUN_TIME
"""


def test_changing_a_value_keeps_comments_order_and_the_other_variables():
    out = replace_envs(TEXT, {"": [{"key": "GREETING", "value": "bonjour"},
                                   {"key": "API_KEY", "value": "EV[1:dky-abc:token]",
                                    "type": "SECRET"}]})
    assert out == TEXT.replace("value: hello  # inline", "value: bonjour # inline")


def test_added_removed_and_component_variables_are_valid_spec():
    out = replace_envs(TEXT, {"": [{"key": "GREETING", "value": "hi"},
                                   {"key": "PORT_NAME", "value": "8080", "scope": "RUN_TIME"}],
                              "web": [{"key": "MODE", "value": "live"},
                                      {"key": "TOKEN", "value": "plain", "type": "SECRET"}]})
    spec = load_spec(out, "spec").spec
    assert [(e.key, e.value) for e in spec.envs] == [("GREETING", "hi"), ("PORT_NAME", "8080")]
    assert "API_KEY" not in out
    web = spec.services[0]
    assert [(e.key, e.value, e.type) for e in web.envs] == [("MODE", "live", "GENERAL"),
                                                            ("TOKEN", "plain", "SECRET")]
    assert "scope: RUN_TIME" not in out.split("services:")[1]  # MODE's scope was dropped
    assert "# the shop" in out and "# keep me" in out


def test_an_empty_list_removes_the_envs_key():
    out = replace_envs(TEXT, {"web": []})
    assert "MODE" not in out and out.count("envs:") == 1


def test_an_unknown_component_is_404_naming_the_components():
    with pytest.raises(NotFound, match="no component 'api'; its components: web"):
        replace_envs(TEXT, {"api": []})


@pytest.mark.parametrize(("envs", "message"), [
    ({}, "must map a scope"),
    ({"": "GREETING=hi"}, "expected a list"),
    ({"": [{"value": "x"}]}, 'string "key"'),
    ({"": [{"key": "A", "value": 3}]}, r"envs\[''\]\[0\].value: expected a string, found int"),
    ({"": [{"key": "A", "valeu": "x"}]}, "unknown field 'valeu'"),
])
def test_bad_edits_say_which_field(envs, message):  # type: ignore[no-untyped-def]
    with pytest.raises(DockyardError, match=message):
        replace_envs(TEXT, envs)
