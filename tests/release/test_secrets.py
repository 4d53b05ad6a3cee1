"""SECRET env vars at rest: Fernet in DigitalOcean's EV[1:…:…] shape."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dockyard.appspec import is_encrypted_secret
from dockyard.errors import DockyardError
from dockyard.release.secrets import (
    SecretBox,
    decrypt_env,
    encrypt_spec_secrets,
    foreign_secrets,
    secret_values,
)

DO_VALUE = "EV[1:zqiRIeaaYK/NqctZDYzy6t0pTrtRDeq8:wqGpZRrsKN5nPhWQrS479cfBiXT0WQ==]"


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox(tmp_path / "secrets.key")


def test_round_trip_gives_back_the_plaintext(box: SecretBox) -> None:
    value = box.encrypt("s3cr3t-päss:word]")
    assert box.decrypt(value) == "s3cr3t-päss:word]"
    assert box.is_ours(value)


def test_ciphertext_matches_digitalocean_shape_and_hides_plaintext(box: SecretBox) -> None:
    value = box.encrypt("hunter2-plaintext")
    assert is_encrypted_secret(value)
    assert value.startswith("EV[1:dky-")
    assert "hunter2" not in value


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    key = tmp_path / "home" / "secrets.key"
    first = SecretBox(key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    second = SecretBox(key)
    assert key.read_bytes() == before
    assert second.decrypt(first.encrypt("x")) == "x"
    assert [p.name for p in key.parent.iterdir()] == ["secrets.key"]


def test_foreign_value_raises_without_naming_the_secret(box: SecretBox) -> None:
    assert not box.is_ours(DO_VALUE)
    with pytest.raises(DockyardError) as err:
        box.decrypt(DO_VALUE)
    assert err.value.code == "secrets.foreign_value"
    assert "set the plaintext value in the spec again" in str(err.value)
    assert "zqiRIeaaYK" not in str(err.value)


def test_value_from_another_installation_is_foreign(tmp_path: Path, box: SecretBox) -> None:
    other = SecretBox(tmp_path / "other.key")
    value = other.encrypt("not-for-you")
    assert not box.is_ours(value)
    with pytest.raises(DockyardError) as err:
        box.decrypt(value)
    assert err.value.code == "secrets.foreign_value"
    assert "not-for-you" not in str(err.value)


def spec_with(box: SecretBox) -> dict:
    ours = box.encrypt("kept-secret")
    return {
        "name": "app",
        "envs": [{"key": "API_KEY", "value": "plain-api-key", "type": "SECRET"},
                 {"key": "DEBUG", "value": "1"},
                 {"key": "FROM_DO", "value": DO_VALUE, "type": "SECRET"}],
        "services": [{"name": "web", "envs": [
            {"key": "DJANGO_SECRET_KEY", "value": "django-plain", "type": "SECRET",
             "scope": "RUN_TIME"},
            {"key": "OURS", "value": ours, "type": "SECRET"},
            {"key": "HOST", "value": "example.com", "type": "GENERAL"}]}],
        "workers": [{"name": "w", "envs": [{"key": "W", "value": "worker-pw", "type": "SECRET"}]}],
        "databases": [{"name": "db", "engine": "PG"}],
    }


def test_encrypt_spec_secrets_encrypts_plaintext_secrets_only(box: SecretBox) -> None:
    spec = spec_with(box)
    out = encrypt_spec_secrets(spec, box)
    app_envs, web_envs = out["envs"], out["services"][0]["envs"]
    assert box.decrypt(app_envs[0]["value"]) == "plain-api-key"
    assert app_envs[1] == {"key": "DEBUG", "value": "1"}
    assert app_envs[2]["value"] == DO_VALUE
    assert box.decrypt(web_envs[0]["value"]) == "django-plain"
    assert web_envs[0]["scope"] == "RUN_TIME"
    assert web_envs[1]["value"] == spec["services"][0]["envs"][1]["value"]
    assert web_envs[2]["value"] == "example.com"
    assert box.decrypt(out["workers"][0]["envs"][0]["value"]) == "worker-pw"
    assert spec["envs"][0]["value"] == "plain-api-key", "the input spec is not changed"


def test_secret_values_decrypts_ours_and_skips_foreign(box: SecretBox) -> None:
    values = secret_values(encrypt_spec_secrets(spec_with(box), box), box)
    assert sorted(values) == ["django-plain", "kept-secret", "plain-api-key", "worker-pw"]


def test_foreign_secrets_names_the_key_and_the_field_path(box: SecretBox) -> None:
    spec = spec_with(box)
    key = spec["envs"][2]["key"]
    assert foreign_secrets(spec, box) == [f"{key} (envs[2].value)"]


def test_decrypt_env_decrypts_only_listed_keys(tmp_path: Path, box: SecretBox) -> None:
    env = {"A": box.encrypt("alpha"), "B": box.encrypt("beta"), "C": "plain"}
    out = decrypt_env(env, ["A", "C", "MISSING"], key_path=box.key_path)
    assert out == {"A": "alpha", "B": env["B"], "C": "plain"}


def test_decrypt_env_uses_dockyard_home_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path))
    box = SecretBox(tmp_path / "secrets.key")
    assert decrypt_env({"K": box.encrypt("v")}, ["K"]) == {"K": "v"}


def test_decrypt_env_refuses_foreign_value_naming_the_key(box: SecretBox) -> None:
    with pytest.raises(DockyardError) as err:
        decrypt_env({"TOKEN": DO_VALUE}, ["TOKEN"], key_path=box.key_path)
    assert err.value.code == "secrets.foreign_value"
    assert "TOKEN" in str(err.value) and "wqGpZ" not in str(err.value)
