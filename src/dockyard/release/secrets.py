"""SECRET env vars at rest: Fernet tokens in DigitalOcean's ``EV[1:…:…]`` shape.

Our values read ``EV[1:dky-<key id>:<Fernet token>]``. They match DigitalOcean's pattern, so the
spec layer treats them as "already encrypted", and the ``dky-<key id>`` part tells ours (made
with this installation's key) from values exported from DigitalOcean, which we cannot decrypt.
A plain value in a submitted spec means "set a new secret", as on DigitalOcean.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from dockyard.errors import DockyardError

MARKER = "dky-"
OUR_VALUE_RE = re.compile(r"^EV\[1:dky-([0-9a-f]{8}):([A-Za-z0-9_=-]+)\]$")
EV_RE = re.compile(r"^EV\[1:[^:\]]+:[^:\]]+\]$")  # DigitalOcean's shape (spec.envs)
REENTER = "set the plaintext value in the spec again"


def is_encrypted(value: str | None) -> bool:
    """True for any ``EV[1:…:…]`` value, ours or DigitalOcean's."""
    return value is not None and bool(EV_RE.fullmatch(value))


def _create_key_once(path: Path) -> None:
    """Create the key file (0600) unless it exists; two racing processes end with one key.

    ``os.link`` fails if the name exists, so the first writer wins and nobody overwrites it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key() + b"\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


class SecretBox:
    """Encrypts and decrypts SECRET values with the installation's key (``home.secrets_key``)."""

    def __init__(self, key_path: Path) -> None:
        self.key_path = Path(key_path)
        if not self.key_path.exists():
            _create_key_once(self.key_path)
        key = self.key_path.read_bytes().strip()
        self._fernet = Fernet(key)
        self.key_id = hashlib.sha256(b"dockyard-key-id:" + key).hexdigest()[:8]

    def encrypt(self, plaintext: str) -> str:
        token = self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")
        return f"EV[1:{MARKER}{self.key_id}:{token}]"

    def is_ours(self, value: str) -> bool:
        match = OUR_VALUE_RE.fullmatch(value or "")
        return bool(match) and match.group(1) == self.key_id

    def decrypt(self, value: str) -> str:
        """Our ``EV[…]`` → plaintext; anything else encrypted raises ``secrets.foreign_value``."""
        match = OUR_VALUE_RE.fullmatch(value or "")
        if not match or match.group(1) != self.key_id:
            raise foreign_value_error()
        try:
            return self._fernet.decrypt(match.group(2).encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise foreign_value_error() from exc


def foreign_value_error(where: str = "a SECRET variable") -> DockyardError:
    """The message names where the value is, never the value itself."""
    return DockyardError(
        f"{where}: the value is encrypted (EV[…]) but not by this Dockyard installation "
        "(for example, it was exported from DigitalOcean), so it cannot be decrypted",
        code="secrets.foreign_value", hint=f"Fix: {REENTER}.")


def _env_lists(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every ``envs`` list in a raw spec with its field path: app-level, then per component."""
    found: list[tuple[str, list[dict[str, Any]]]] = []
    if isinstance(spec.get("envs"), list):
        found.append(("envs", spec["envs"]))
    for field, items in spec.items():
        if field == "envs" or not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("envs"), list):
                found.append((f"{field}[{i}].envs", item["envs"]))
    return found


def _secret_envs(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, env) for every env with ``type: SECRET`` and a non-empty value."""
    return [(f"{path}[{i}]", env) for path, envs in _env_lists(spec)
            for i, env in enumerate(envs)
            if isinstance(env, dict) and str(env.get("type", "")).upper() == "SECRET"
            and isinstance(env.get("value"), str) and env["value"]]


def _image_credentials(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, value) of every image source's ``registry_credentials`` (a secret too: it is
    encrypted on first submission, as on DigitalOcean)."""
    found = []
    for group in ("services", "workers", "jobs"):
        for i, comp in enumerate(spec.get(group) or []):
            image = comp.get("image") if isinstance(comp, dict) else None
            value = image.get("registry_credentials") if isinstance(image, dict) else None
            if isinstance(value, str) and value:
                found.append((f"{group}[{i}].image.registry_credentials", value))
    return found


def seal_credentials(image: Any, box: SecretBox) -> str | None:
    """An image source's plaintext ``registry_credentials`` encrypted; ``None`` to keep."""
    value = image.get("registry_credentials")
    if isinstance(value, str) and value and not is_encrypted(value):
        return box.encrypt(value)
    return None


def seal_env(env: Any, box: SecretBox) -> str | None:
    """The value to store for one env entry: a SECRET's plaintext encrypted, as DigitalOcean
    does on save; ``None`` to keep it (GENERAL values, ``EV[…]`` values, empty values)."""
    value = env.get("value")
    if str(env.get("type", "")).upper() == "SECRET" and isinstance(value, str) and value \
            and not is_encrypted(value):
        return box.encrypt(value)
    return None


def encrypt_spec_secrets(spec: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    """A copy of ``spec`` (plain data) with its SECRET values sealed by ``seal_env``."""
    out = copy.deepcopy(spec)
    for _, env in _secret_envs(out):
        env["value"] = seal_env(env, box) or env["value"]
    return out


def secret_values(spec: dict[str, Any], box: SecretBox) -> list[str]:
    """Plaintexts of every SECRET env and registry credential (and a credential's token
    alone), to mask in logs; foreign ``EV[…]`` values are skipped."""
    envs = [env["value"] for _, env in _secret_envs(spec)]
    credentials = [value for _, value in _image_credentials(spec)]
    values = []
    for value in envs + credentials:
        if is_encrypted(value) and not box.is_ours(value):
            continue
        plain = box.decrypt(value) if is_encrypted(value) else value
        values.append(plain)
        if value in credentials and ":" in plain:
            values.append(plain.split(":", 1)[1])
    return values


def foreign_secrets(spec: dict[str, Any], box: SecretBox) -> list[str]:
    """``KEY (services[0].envs[2].value)`` for each SECRET value we cannot decrypt: the
    variable's name first (what the user looks for), then where it is."""
    return [f"{env.get('key') or '?'} ({path}.value)" for path, env in _secret_envs(spec)
            if is_encrypted(env["value"]) and not box.is_ours(env["value"])]


def foreign_secret_problems(spec: dict[str, Any], box: SecretBox
                            ) -> list[tuple[str, str, str]]:
    """``(field path, key, message)`` per foreign value, for validation on the server."""
    found = [(f"{path}.value", str(env.get("key") or "?"),
              f"{env.get('key') or '?'}: this SECRET value is encrypted (EV[…]) but not by "
              "this Dockyard installation (for example, it was exported from DigitalOcean), "
              f"so it cannot be decrypted; {REENTER}")
             for path, env in _secret_envs(spec)
             if is_encrypted(env["value"]) and not box.is_ours(env["value"])]
    return found + [(path, "registry_credentials", "registry_credentials: the value is "
                     "encrypted (EV[…]) but not by this Dockyard installation, so it cannot "
                     f"be decrypted; {REENTER}")
                    for path, value in _image_credentials(spec)
                    if is_encrypted(value) and not box.is_ours(value)]


def decrypt_env(env: dict[str, str], keys: list[str], key_path: Path | None = None
                ) -> dict[str, str]:
    """The instance launcher's step: decrypt ``keys`` (ours-encrypted) into plaintext.

    ``key_path`` defaults to the key of ``DOCKYARD_HOME``, which supervisord passes down.
    """
    if key_path is None:
        from dockyard.paths import Home

        key_path = Home.default().secrets_key
    box = SecretBox(key_path)
    out = dict(env)
    for key in keys:
        value = out.get(key)
        if value is None or not is_encrypted(value):
            continue
        if not box.is_ours(value):
            raise foreign_value_error(f"env {key}")
        out[key] = box.decrypt(value)
    return out
