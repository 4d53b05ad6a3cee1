"""Environment variable semantics: scopes, app/component merging, encrypted secrets."""

from __future__ import annotations

import re

from .blocks import EnvVar
from .enums import EnvScope
from .models import AppSpec, Component

SECRET_VALUE_RE = re.compile(r"^EV\[1:[^:\]]+:[^:\]]+\]$")


def env_visible(var: EnvVar, *, build: bool) -> bool:
    """RUN_TIME is run-only, BUILD_TIME build-only; RUN_AND_BUILD_TIME, UNSET or omitted: both."""
    if var.scope == EnvScope.RUN_TIME:
        return not build
    if var.scope == EnvScope.BUILD_TIME:
        return build
    return True


def merged_envs(app_spec: AppSpec, component: Component, *, build: bool) -> list[EnvVar]:
    """App envs, then the component's; a component var replaces the app var with its key.

    Each list is filtered by scope before merging, as doctl's builder does: an app BUILD_TIME
    var still reaches the build when the component redefines the key for RUN_TIME only.
    """
    merged: dict[str, EnvVar] = {}
    for var in [*app_spec.envs, *getattr(component, "envs", [])]:
        if env_visible(var, build=build):
            merged[var.key] = var
    return list(merged.values())


def is_encrypted_secret(value: str | None) -> bool:
    """True for a value DigitalOcean already encrypted (``EV[1:…:…]``); plain text is new."""
    return value is not None and bool(SECRET_VALUE_RE.fullmatch(value))
