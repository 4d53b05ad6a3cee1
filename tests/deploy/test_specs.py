"""``deploy.specs.check``: what the API stores for a submitted spec (run offloaded)."""

from __future__ import annotations

import pytest

from dockyard.deploy.specs import check
from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox

YAML = """\
# the comment stays
name: shop
envs:
  - key: API_KEY
    type: SECRET
    value: plain-secret-value
static_sites:
  - name: docs
    git:
      repo_clone_url: /srv/docs.git
"""


def test_plaintext_secrets_are_encrypted_in_the_spec_and_its_yaml(home: Home):
    checked = check(text=YAML)
    value = checked["spec"]["envs"][0]["value"]
    assert value.startswith("EV[1:dky-") and "plain-secret-value" not in checked["yaml"]
    assert value in checked["yaml"] and "# the comment stays" in checked["yaml"]
    assert SecretBox(home.secrets_key).decrypt(value) == "plain-secret-value"


def test_an_encrypted_value_is_kept_as_it_is(home: Home):
    first = check(text=YAML)
    again = check(data=first["spec"])
    assert again["spec"]["envs"][0]["value"] == first["spec"]["envs"][0]["value"]


def test_a_static_only_app_is_static(home: Home):
    checked = check(text=YAML)
    assert (checked["name"], checked["is_static"]) == ("shop", True)
    assert checked["undeployable"] == [] and isinstance(checked["notes"], list)


def test_an_invalid_spec_names_the_file_and_field(home: Home):
    with pytest.raises(DockyardError) as err:
        check(text="name: Bad_Name\n", filename="app.yaml")
    assert err.value.code == "spec.invalid"
    issues = [(i.path, i.line) for i in err.value.issues]  # type: ignore[attr-defined]
    assert issues[0] == ("name", 1)  # and "services": an app needs a component
    assert 'app.yaml:1:1: name: must be 2–32 characters' in str(err.value)
    assert '(found "Bad_Name")' in str(err.value)


def test_a_value_encrypted_elsewhere_is_refused_naming_the_variable(home: Home):
    text = YAML.replace("plain-secret-value", "EV[1:do-key-id:c2VjcmV0]")
    with pytest.raises(DockyardError) as err:
        check(text=text, filename="app.yaml")
    assert "API_KEY: this SECRET value is encrypted (EV[…]) but not by this Dockyard " \
           "installation" in str(err.value)
    assert "EV[1:do-key-id" not in str(err.value)
