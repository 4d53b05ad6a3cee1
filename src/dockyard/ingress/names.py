"""Which certificates public mode needs: one per host name an app answers to, plus the API.

Every app gets ``<app>.<domain>`` (its default ingress, kind ``DEFAULT``); each domain of its
spec gets a certificate of its own (``PRIMARY``/``ALIAS``; a ``wildcard`` one also covers
``*.<domain>``), so one domain failing never holds up another. The spec's ``DEFAULT`` entries
(DigitalOcean's own ``<app>.ondigitalocean.app``, kept in exported specs) get none. When two
apps claim one name, the app created first keeps it and the other's domain ends ``ERROR``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dockyard.settings import Settings

API = "API"          # Dockyard's own API host (not one of DigitalOcean's domain types)
DEFAULT = "DEFAULT"  # <app>.<domain>
SPEC_KINDS = ("PRIMARY", "ALIAS")


@dataclass(frozen=True)
class Wanted:
    """One certificate to have: its names (the first is the key), and whose it is."""

    key: str
    names: tuple[str, ...]
    kind: str
    app_id: str | None = None
    app_name: str | None = None
    min_tls: str | None = None
    wildcard: bool = False
    spec: dict[str, Any] = field(default_factory=dict)
    refused: str = ""    # why it cannot be had (claimed by another app, wildcard without hook)


def wanted(settings: Settings, apps: Iterable[Any]) -> dict[str, Wanted]:
    """Every certificate public mode needs right now, by key (first claim wins). ``apps``
    come in creation order (``Store.list_apps``); the sort is stable, so two apps created
    within one second keep that order."""
    api = settings.public_api_host
    found: dict[str, Wanted] = {api: Wanted(api, (api,), API)}
    refused: list[Wanted] = []
    for app in sorted(apps, key=lambda a: a.created_at):
        for item in app_domains(settings, app):
            owner = found.get(item.key)
            if owner is None:
                found[item.key] = item
            elif item.kind != DEFAULT:
                whose = f"app {owner.app_name}" if owner.app_name else "Dockyard's API"
                refused.append(_refuse(item, f"{item.key} is already served by {whose}"))
    for item in refused:
        found.setdefault(f"{item.app_id}/{item.key}", item)
    return found


def app_domains(settings: Settings, app: Any) -> list[Wanted]:
    """The app's default ingress, then its spec domains (without DigitalOcean's DEFAULT)."""
    host = settings.app_host(app.name)
    out = [Wanted(host, (host,), DEFAULT, app.id, app.name)]
    for entry in app.spec.get("domains") or []:
        kind = str(entry.get("type") or "UNSPECIFIED")
        if kind == DEFAULT:
            continue
        name = str(entry["domain"]).lower()
        wildcard = bool(entry.get("wildcard"))
        item = Wanted(name, (name, f"*.{name}") if wildcard else (name,),
                      "PRIMARY" if kind == "PRIMARY" else "ALIAS", app.id, app.name,
                      min_tls=entry.get("minimum_tls_version") or None, wildcard=wildcard,
                      spec=dict(entry))
        if wildcard and not settings.dns01_hook:
            item = _refuse(item, WILDCARD_NEEDS_HOOK)
        out.append(item)
    return out


WILDCARD_NEEDS_HOOK = ("a wildcard certificate needs a DNS-01 challenge, and no DNS-01 hook "
                       "is configured (`dockyard up --public --dns01-hook PROGRAM`)")


def _refuse(item: Wanted, why: str) -> Wanted:
    return Wanted(item.key, item.names, item.kind, item.app_id, item.app_name, item.min_tls,
                  item.wildcard, item.spec, refused=why)


def spec_problems(settings: Settings, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field path, message)`` for what public mode cannot serve in this spec: checked
    when an app is created or updated, so the user hears it before any deployment."""
    problems: list[tuple[str, str]] = []
    if settings.app_host(str(spec.get("name", ""))) == settings.public_api_host:
        problems.append(("name", f"{settings.public_api_host} is Dockyard's API host; "
                                 "choose another app name"))
    for index, entry in enumerate(spec.get("domains") or []):
        name = str(entry.get("domain", "")).lower()
        if entry.get("wildcard") and not settings.dns01_hook:
            problems.append((f"domains[{index}].wildcard", WILDCARD_NEEDS_HOOK))
        if name == settings.public_api_host:
            problems.append((f"domains[{index}].domain",
                             f"{name} is Dockyard's API host; it cannot be an app's domain"))
    return problems
