"""Routing rules: route paths unique across components and ingress, and well-formed rules.

A path can be claimed by a component's deprecated ``routes`` or by an ``ingress.rules`` entry;
two claims on the same path are an error that names both claimants, whichever list they are in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .enums import ComponentKind
from .errors import Loc
from .raw import Problem, RawComponent, has, items, mapping, text

ROUTABLE = (ComponentKind.SERVICE, ComponentKind.STATIC_SITE, ComponentKind.FUNCTIONS)


@dataclass(frozen=True)
class Claim:
    """One claim on a route path: where it is written, who makes it, for which component."""

    loc: Loc
    label: str
    target: str | None
    via_ingress: bool


def _route_claims(comps: list[RawComponent]) -> Iterator[tuple[tuple[Any, ...], Claim]]:
    for comp in comps:
        if comp.kind not in ROUTABLE:
            continue
        for index, route in items(comp.data, "routes"):
            path = text(route, "path")
            if path is not None:
                label = f"{comp.label} routes[{index}]"
                yield (None, "prefix", path), Claim(
                    (*comp.loc, "routes", index, "path"), label, comp.name, False)


def _ingress_claims(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Claim]]:
    for index, rule in items(mapping(data, "ingress"), "rules"):
        match = mapping(rule, "match")
        path, authority = mapping(match, "path"), mapping(match, "authority")
        host = json.dumps(authority, sort_keys=True, default=str) if authority else None
        target = text(mapping(rule, "component"), "name")
        label = f'ingress.rules[{index}] (to "{target}")' if target else \
            f"ingress.rules[{index}] (redirect)"
        for how in ("prefix", "exact"):
            value = text(path, how)
            if value is not None:
                loc = ("ingress", "rules", index, "match", "path", how)
                yield (host, how, value), Claim(loc, label, target, True)


def _conflicts(first: Claim, claim: Claim) -> bool:
    """A route restated as an ingress rule for the same component is not a conflict."""
    same_target = first.target is not None and first.target == claim.target
    return not (same_target and first.via_ingress != claim.via_ingress)


def unique_paths(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """No two claims on one path, across routes and ingress rules."""
    seen: dict[tuple[Any, ...], list[Claim]] = {}
    for key, claim in [*_route_claims(comps), *_ingress_claims(data)]:
        earlier = seen.setdefault(key, [])
        first = next((c for c in earlier if _conflicts(c, claim)), None)
        earlier.append(claim)
        if first is not None:
            yield claim.loc, (f'route path "{key[2]}" is claimed twice: by {first.label} and '
                              f"by {claim.label}; each path must be unique across the app")


def _rule_target(loc: Loc, rule: dict[str, Any],
                 kinds: dict[str, ComponentKind]) -> Iterator[Problem]:
    component = mapping(rule, "component")
    if component is None:
        return
    name = text(component, "name")
    kind = kinds.get(name) if name is not None else None
    if name is not None and kind is None:
        routable = sorted(n for n, k in kinds.items() if k in ROUTABLE)
        yield (*loc, "component", "name"), (
            f'no component named "{name}" (components that take traffic: '
            f"{', '.join(routable) or 'none'})")
    elif kind is not None and kind not in ROUTABLE:
        yield (*loc, "component", "name"), (
            f'"{name}" is a {kind}; only services, static sites and functions take traffic')
    if component.get("preserve_path_prefix") in (True, "true"):
        if has(component, "rewrite"):
            yield (*loc, "component", "rewrite"), (
                "cannot be set together with preserve_path_prefix; keep one")
        if kind == ComponentKind.FUNCTIONS:
            yield (*loc, "component", "preserve_path_prefix"), (
                "does not apply to functions components")


def ingress_rules(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Each rule routes to one existing component or redirects; never both."""
    kinds = {c.name: c.kind for c in comps if c.name is not None}
    for index, rule in items(mapping(data, "ingress"), "rules"):
        loc = ("ingress", "rules", index)
        targets = [key for key in ("component", "redirect") if has(rule, key)]
        if len(targets) != 1:
            found = " and ".join(targets) or "neither"
            yield loc, f"needs exactly one of component or redirect (found {found})"
        path = mapping(mapping(rule, "match"), "path")
        if has(path, "prefix") and has(path, "exact"):
            yield (*loc, "match", "path"), "set prefix or exact, not both"
        yield from _rule_target(loc, rule, kinds)


def _string_matches(data: dict[str, Any],
                    comps: list[RawComponent]) -> Iterator[tuple[Loc, dict[str, Any]]]:
    """Every StringMatch object: CORS origins and ingress authority matches."""
    holders: list[tuple[Loc, Any]] = [(c.loc, c.data) for c in comps]
    holders += [(("ingress", "rules", i), r) for i, r in items(mapping(data, "ingress"), "rules")]
    for loc, holder in holders:
        for index, origin in items(mapping(holder, "cors"), "allow_origins"):
            yield (*loc, "cors", "allow_origins", index), origin
        authority = mapping(mapping(holder, "match"), "authority")
        if authority is not None:
            yield (*loc, "match", "authority"), authority


def string_matches(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """A StringMatch sets exactly one of exact, prefix, regex."""
    for loc, match in _string_matches(data, comps):
        found = [key for key in ("exact", "prefix", "regex") if key in match]
        if len(found) != 1:
            yield loc, (f"needs exactly one of exact, prefix, regex "
                        f"(found {', '.join(found) or 'none'})")


def functions_routes(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """preserve_path_prefix does not apply to functions components."""
    for comp in comps:
        if comp.kind != ComponentKind.FUNCTIONS:
            continue
        for index, route in items(comp.data, "routes"):
            if route.get("preserve_path_prefix") is True:
                yield (*comp.loc, "routes", index, "preserve_path_prefix"), (
                    "does not apply to functions components")


def check_routing(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """All routing rules, in order."""
    for rule in (unique_paths, ingress_rules, string_matches, functions_routes):
        yield from rule(data, comps)
