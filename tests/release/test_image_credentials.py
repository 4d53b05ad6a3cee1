"""An image source's ``registry_credentials`` is a secret: encrypted on submission like a
SECRET env (in the spec and in its YAML, comments kept), and masked in logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.deploy.specs import check
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox, foreign_secret_problems, secret_values

SPEC = """\
name: pulled
services:
  - name: web
    image:
      registry_type: GHCR
      registry: acme
      repository: web
      tag: v1
      registry_credentials: "robot:tok3n-plaintext"  # the team's pull token
"""


def test_credentials_are_stored_encrypted_and_masked(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path))
    out = check(text=SPEC)
    stored = out["spec"]["services"][0]["image"]["registry_credentials"]
    assert stored.startswith("EV[1:dky-") and "tok3n" not in stored
    assert "tok3n" not in out["yaml"] and "# the team's pull token" in out["yaml"]
    box = SecretBox(Home.default().secrets_key)
    assert box.decrypt(stored) == "robot:tok3n-plaintext"
    masks = secret_values(out["spec"], box)
    assert "robot:tok3n-plaintext" in masks and "tok3n-plaintext" in masks
    again = check(data=out["spec"])  # resubmitted as stored: kept, not encrypted twice
    assert again["spec"]["services"][0]["image"]["registry_credentials"] == stored


def test_credentials_encrypted_elsewhere_are_named_as_foreign(tmp_path: Path) -> None:
    other = SecretBox(tmp_path / "other.key").encrypt("robot:x")
    spec = {"services": [{"name": "web", "image": {"registry_credentials": other}}]}
    problems = foreign_secret_problems(spec, SecretBox(tmp_path / "ours.key"))
    assert [(path, key) for path, key, _ in problems] == [
        ("services[0].image.registry_credentials", "registry_credentials")]
