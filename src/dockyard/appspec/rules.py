"""DigitalOcean's cross-field rules, checked on the data as written.

Each rule yields (path, message) problems and tolerates wrong types (the models report those),
so one pass finds everything. Routing rules live in ``routing.py``, bindables in ``bindables.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .bindables import check_bindables
from .blocks import GIT_SOURCES
from .enums import (
    APP_ALERT_RULES,
    COMPONENT_ALERT_RULES,
    AlertRule,
    ComponentKind,
    DatabaseEngine,
    DomainType,
    JobKind,
)
from .models import COMPONENT_LISTS
from .raw import Problem, RawComponent, components, has, items, mapping, text
from .routing import check_routing

_IMAGE_KINDS = (ComponentKind.SERVICE, ComponentKind.WORKER, ComponentKind.JOB)


def unique_names(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Component names are unique across all kinds, databases included."""
    first: dict[str, RawComponent] = {}
    for comp in comps:
        name = comp.name
        if name is None:
            continue
        if name in first:
            yield (*comp.loc, "name"), (
                f'duplicate component name "{name}": {first[name].label} already uses it; '
                "names must be unique across all components, databases included")
        else:
            first[name] = comp


def one_source(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Exactly one source per buildable component; image only for services, workers, jobs."""
    for comp in comps:
        if comp.kind == ComponentKind.DATABASE:
            continue
        allowed = GIT_SOURCES + (("image",) if comp.kind in _IMAGE_KINDS else ())
        present = [key for key in allowed if has(comp.data, key)]
        if not present and not has(comp.data, "image"):
            yield comp.loc, f"needs a source: exactly one of {', '.join(allowed)} (found none)"
        elif len(present) > 1:
            yield (*comp.loc, present[1]), (
                f"has {len(present)} sources ({', '.join(present)}); exactly one of "
                f"{', '.join(allowed)} may be set")


def image_source(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Tag and digest are exclusive; DOCR has no registry; deploy_on_push is DOCR-only."""
    for comp in comps:
        image = mapping(comp.data, "image")
        if image is None or comp.kind not in _IMAGE_KINDS:
            continue
        loc, kind = (*comp.loc, "image"), text(image, "registry_type")
        if has(image, "tag") and has(image, "digest"):
            yield (*loc, "digest"), "tag and digest cannot be set together; keep one"
        if kind == "DOCR" and text(image, "registry"):
            yield (*loc, "registry"), "must be empty when registry_type is DOCR"
        if kind == "DOCKER_HUB" and not text(image, "registry"):
            yield (*loc, "registry"), "is required when registry_type is DOCKER_HUB"
        push = mapping(image, "deploy_on_push")
        if push and push.get("enabled") is True:
            if kind != "DOCR":
                yield (*loc, "deploy_on_push"), (
                    f"deploy_on_push works only with registry_type DOCR (found {kind})")
            elif has(image, "digest"):
                yield (*loc, "deploy_on_push"), "deploy_on_push cannot be used with a digest"


def scaling(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """instance_count and autoscaling are exclusive; min ≤ max."""
    for comp in comps:
        auto = mapping(comp.data, "autoscaling")
        if auto is None:
            continue
        if has(comp.data, "instance_count"):
            yield (*comp.loc, "instance_count"), (
                "cannot be set together with autoscaling; remove one of them")
        low, high = auto.get("min_instance_count"), auto.get("max_instance_count")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield (*comp.loc, "autoscaling", "min_instance_count"), (
                f"must not exceed max_instance_count ({high}) (found {low})")


def static_documents(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """A static site sets catchall_document or error_document, not both."""
    for comp in comps:
        if comp.kind == ComponentKind.STATIC_SITE and has(comp.data, "catchall_document") \
                and has(comp.data, "error_document"):
            yield (*comp.loc, "catchall_document"), (
                "cannot be set together with error_document; keep one")


def job_schedule(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """SCHEDULED jobs need schedule.cron."""
    for comp in comps:
        if comp.kind == ComponentKind.JOB and comp.data.get("kind") == JobKind.SCHEDULED \
                and not has(mapping(comp.data, "schedule"), "cron"):
            yield (*comp.loc, "kind"), "SCHEDULED jobs need schedule.cron (found no cron)"


def some_component(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """An app runs something: at least one component of any kind."""
    if not any(isinstance(data.get(field), list) and data.get(field)
               for field, _kind in COMPONENT_LISTS):
        yield ("services",), ("an app needs at least one component in services, static_sites, "
                              "workers, jobs, functions or databases (found none)")


def databases(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Databases name their engine; production ones their cluster; db_name/db_user are
    MySQL/PostgreSQL only."""
    for comp in comps:
        if comp.kind != ComponentKind.DATABASE:
            continue
        if comp.data.get("engine") in (None, DatabaseEngine.UNSET):
            yield (*comp.loc, "engine"), (
                "is required: one of " + ", ".join(e.value for e in DatabaseEngine
                                                   if e != DatabaseEngine.UNSET)
                + f" (found {comp.data.get('engine') or 'none'})")
        if comp.data.get("production") is True and not text(comp.data, "cluster_name"):
            yield (*comp.loc, "cluster_name"), "is required when production is true"
        engine = comp.data.get("engine")
        for key in ("db_name", "db_user"):
            if has(comp.data, key) and engine not in ("PG", "MYSQL"):
                yield (*comp.loc, key), f"applies only to engine PG or MYSQL (found {engine})"


def primary_domain(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """At most one PRIMARY domain: it drives ${APP_DOMAIN} and ${APP_URL}."""
    first: int | None = None
    for index, domain in items(data, "domains"):
        if domain.get("type") != DomainType.PRIMARY:
            continue
        if first is None:
            first = index
        else:
            yield ("domains", index, "type"), (
                f"at most one domain can be PRIMARY; domains[{first}] already is")


_RULES = {rule.value for rule in AlertRule}


def alert_levels(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """App rules go in the top-level alerts, instance rules under a component (godo)."""
    for index, alert in items(data, "alerts"):
        rule = alert.get("rule")
        if isinstance(rule, str) and rule in _RULES and rule not in APP_ALERT_RULES:
            yield ("alerts", index, "rule"), (
                f"{rule} is a component rule; put it in a component's alerts "
                f"(app-level rules: {', '.join(sorted(APP_ALERT_RULES))})")
    for comp in comps:
        allowed = COMPONENT_ALERT_RULES.get(comp.kind, frozenset())
        for index, alert in items(comp.data, "alerts"):
            rule = alert.get("rule")
            if isinstance(rule, str) and rule in _RULES and rule not in allowed:
                where = "the top-level alerts" if rule in APP_ALERT_RULES else "another kind"
                yield (*comp.loc, "alerts", index, "rule"), (
                    f"{rule} does not apply to a {comp.kind}; it belongs in {where} "
                    f"(rules here: {', '.join(sorted(allowed))})")


_DESTINATIONS = ("papertrail", "datadog", "logtail", "open_search", "endpoint")


def log_destinations(data: dict[str, Any], comps: list[RawComponent]) -> Iterator[Problem]:
    """Each destination names one target; OpenSearch takes an endpoint or a cluster."""
    for comp in comps:
        for index, dest in items(comp.data, "log_destinations"):
            loc = (*comp.loc, "log_destinations", index)
            targets = [key for key in _DESTINATIONS if has(dest, key)]
            if len(targets) != 1:
                yield loc, (f"needs exactly one of {', '.join(_DESTINATIONS)} "
                            f"(found {', '.join(targets) or 'none'})")
            search = mapping(dest, "open_search")
            if search and has(search, "endpoint") and has(search, "cluster_name"):
                yield (*loc, "open_search", "cluster_name"), (
                    "cannot be set together with endpoint; keep one")


Rule = Callable[[dict[str, Any], list[RawComponent]], Iterator[Problem]]
RULES: tuple[Rule, ...] = (
    some_component, unique_names, one_source, image_source, scaling, static_documents, job_schedule,
    databases, primary_domain, alert_levels, log_destinations, check_routing, check_bindables,
)


def check_rules(data: dict[str, Any]) -> list[Problem]:
    """Every cross-field problem in the spec data, in rule order."""
    comps = components(data)
    return [problem for rule in RULES for problem in rule(data, comps)]
