"""Bindable variables: ``${…}`` references in env values, checked against what each
component provides.

Checked: the three app-wide names and every reference with a dot (``${db.DATABASE_URL}``,
``${_self.PUBLIC_URL}``, ``${mydb.mypool.DATABASE_URL}``): the component must exist and provide
that variable. Not checked: other dotless references such as ``${SECRET_KEY}``. DigitalOcean
documents no rule that rejects them, real specs use them, and DigitalOcean leaves a value it cannot
bind as written, so rejecting them would refuse specs DigitalOcean deploys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .enums import ComponentKind
from .errors import Loc
from .fields import did_you_mean
from .raw import Problem, RawComponent, items, text

REFERENCE_RE = re.compile(r"\$\{([^${}]*)\}")
APP_WIDE = ("APP_DOMAIN", "APP_URL", "APP_ID")
DATABASE_VARS = ("HOSTNAME", "PORT", "USERNAME", "PASSWORD", "DATABASE", "DATABASE_URL",
                 "JDBC_DATABASE_URL", "REDIS_URL", "CA_CERT")
PROVIDES: dict[ComponentKind, tuple[str, ...]] = {
    ComponentKind.SERVICE: ("PRIVATE_DOMAIN", "PRIVATE_URL", "PRIVATE_PORT",
                            "PUBLIC_ROUTE_PATH", "PUBLIC_URL", "COMMIT_HASH"),
    ComponentKind.STATIC_SITE: ("PUBLIC_ROUTE_PATH", "PUBLIC_URL", "COMMIT_HASH"),
    ComponentKind.WORKER: ("COMMIT_HASH",),
    ComponentKind.JOB: (),
    ComponentKind.FUNCTIONS: ("PUBLIC_ROUTE_PATH", "PUBLIC_URL", "COMMIT_HASH",
                              "FUNCTIONS_LOG_DESTINATION_JSON"),
    ComponentKind.DATABASE: DATABASE_VARS,
}
"""Variables each kind of component provides to others."""
_ANY_KIND = tuple(sorted({var for names in PROVIDES.values() for var in names}))


def bindable_refs(value: str) -> list[str]:
    """The references inside ``${…}`` in a value: "db.DATABASE_URL", "APP_URL", ..."""
    return REFERENCE_RE.findall(value)


def _variable_problem(ref: str, kind: ComponentKind | None, name: str, var: str) -> str | None:
    provided = PROVIDES[kind] if kind is not None else _ANY_KIND
    if var in provided:
        return None
    if not provided:
        return f'${{{ref}}}: "{name}" is a {kind}, and jobs provide no bindable variables'
    what = f'"{name}" is a {kind}' if kind is not None else f'"{name}"'
    return (f"${{{ref}}}: {what} and provides {', '.join(provided)} (found \"{var}\")"
            f"{did_you_mean(var, provided)}")


def reference_problem(ref: str, owner: RawComponent | None,
                      kinds: dict[str, ComponentKind]) -> str | None:
    """Why ``${ref}`` cannot bind, or None when it can (or is not a checked reference)."""
    parts = ref.split(".")
    if len(parts) == 1:
        return None  # APP_DOMAIN/APP_URL/APP_ID, or a dotless name left alone (module doc)
    name, var = parts[0], parts[-1]
    if name == "_self":  # the declaring component; app-level envs: any kind's variable
        kind = owner.kind if owner is not None else None
        name = (owner.name if owner is not None else None) or "_self"
    elif name in kinds:
        kind = kinds[name]
    else:
        return (f'${{{ref}}}: no component named "{name}"{did_you_mean(name, kinds)} '
                "(references look like ${<component>.<VARIABLE>})")
    if len(parts) > 3:
        return f"${{{ref}}}: expected ${{<component>.<VARIABLE>}} or ${{<db>.<pool>.<VARIABLE>}}"
    if len(parts) == 3 and kind != ComponentKind.DATABASE:
        return f'${{{ref}}}: only databases have connection pools, and "{name}" is a {kind}'
    return _variable_problem(ref, kind, name, var)


def _env_values(data: dict[str, Any],
                comps: list[RawComponent]) -> Iterator[tuple[Loc, str, RawComponent | None]]:
    for index, env in items(data, "envs"):
        value = text(env, "value")
        if value is not None:
            yield ("envs", index, "value"), value, None
    for comp in comps:
        for index, env in items(comp.data, "envs"):
            value = text(env, "value")
            if value is not None:
                yield (*comp.loc, "envs", index, "value"), value, comp


def check_bindables(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Every env value's references must name a component and a variable it provides."""
    kinds = {comp.name: comp.kind for comp in comps if comp.name is not None}
    for loc, value, owner in _env_values(data, comps):
        for ref in bindable_refs(value):
            problem = reference_problem(ref, owner, kinds)
            if problem:
                yield loc, problem
