"""A component's environment on a cluster: GENERAL values in a ConfigMap, SECRET values in a
Secret, database credentials read from the database's own Secret.

Bindable variables resolve as on one machine (``bindings_for``, ``resolve``), with cluster
values where the cluster differs: ``PRIVATE_URL`` is ``http://<component>:<http_port>`` (the
Service's name, as on DigitalOcean), and a database variable is ``$(DOCKYARD_DB_…)``, an env
var filled from the database's Secret, which Kubernetes expands in the values that use it.
SECRET values never reach the ConfigMap, the pod template or an annotation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockyard.release.bindings import Bindings, bindings_for, resolve
from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.target import Target

DB_PREFIX = "DOCKYARD_DB_"
STATIC_PORT = 8080  # what a static site's image listens on
# DigitalOcean's database variables -> keys of the database's Secret (CloudNativePG's names).
DB_KEYS = {"DATABASE_URL": "uri", "HOSTNAME": "host", "PORT": "port", "USERNAME": "username",
           "PASSWORD": "password", "DATABASE": "dbname", "JDBC_DATABASE_URL": "jdbc-uri",
           "REDIS_URL": "uri"}


@dataclass
class ComponentEnv:
    config: dict[str, str] = field(default_factory=dict)     # -> ConfigMap (envFrom)
    secret: dict[str, str] = field(default_factory=dict)     # -> Secret (envFrom)
    entries: list[dict[str, Any]] = field(default_factory=list)  # -> env (database values)
    notes: list[str] = field(default_factory=list)


def database_secret(db: Any) -> str:
    """The Secret with a database's credentials: CloudNativePG's ``<cluster>-app`` for a dev
    database, ``<db>-external`` (written by Dockyard) for a production or external one."""
    base = names.dns_label(db.name)
    return f"{base}-external" if is_external(db) else f"{base}-app"


def is_external(db: Any) -> bool:
    """Dev PostgreSQL runs on the cluster (CloudNativePG); anything else is an existing one."""
    return bool(db.production) or str(db.engine.value) not in ("PG", "UNSET")


def db_var(db_name: str, var: str) -> str:
    return f"{DB_PREFIX}{names.dns_label(db_name).upper().replace('-', '_')}_{var}"


def cluster_bindings(spec: Any, target: Target) -> Bindings:
    hosts = target.hosts([d.domain for d in spec.domains])
    scheme = "https" if target.cluster_issuer else "http"
    live = f"{scheme}://{hosts[0]}" if hosts else ""
    b = bindings_for(spec, target.app_id, None, live, dict(target.commits))
    b.app["APP_DOMAIN"] = hosts[0] if hosts else "*"
    for svc in spec.services:
        name = names.dns_label(svc.name)
        b.components[svc.name] |= {"PRIVATE_DOMAIN": name, "PRIVATE_PORT": str(svc.http_port),
                                   "PRIVATE_URL": f"http://{name}:{svc.http_port}"}
    for db in spec.databases:
        b.databases[db.name] = {var: f"$({db_var(db.name, var)})" for var in DB_KEYS}
    return b


def component_env(spec: Any, comp: Any, kind: str, target: Target,
                  bindings: Bindings) -> ComponentEnv:
    """The run-time environment of ``comp`` split into ConfigMap, Secret and env entries."""
    from dockyard.appspec import merged_envs

    out = ComponentEnv()
    used: set[tuple[str, str]] = set()
    for var in merged_envs(spec, comp, build=False):
        raw = var.value or ""
        secret = str(var.type.value) == "SECRET"
        if secret:
            raw = target.secret_value(raw)
        expanded = resolve(raw.replace("$(", "$$("), bindings, comp.name, build=False)
        refs = _db_refs(spec, expanded)
        if refs and secret:
            out.notes.append(f"{comp.name}: SECRET {var.key} refers to a database; its value "
                             "is kept as written (put the reference in a GENERAL variable)")
            out.secret[var.key] = raw
        elif refs:
            used |= refs
            out.entries.append({"name": var.key, "value": expanded})
        else:
            value = resolve(raw, bindings, comp.name, build=False)
            (out.secret if secret else out.config)[var.key] = value
    _add_port(comp, kind, out)
    out.entries = _db_entries(spec, used) + out.entries
    return out


def _add_port(comp: Any, kind: str, out: ComponentEnv) -> None:
    """``PORT`` is the service's ``http_port`` unless the spec sets it (DigitalOcean's rule)."""
    if "PORT" in out.config or "PORT" in out.secret:
        return
    if kind == "service":
        out.config["PORT"] = str(comp.http_port)
    elif kind == "static_site":
        out.config["PORT"] = str(STATIC_PORT)


def _db_refs(spec: Any, value: str) -> set[tuple[str, str]]:
    found = set()
    for db in spec.databases:
        for var in DB_KEYS:
            if f"$({db_var(db.name, var)})" in value:
                found.add((db.name, var))
    return found


def _db_entries(spec: Any, used: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """``DOCKYARD_DB_<DB>_<VAR>`` from the database's Secret, before the values using it."""
    entries = []
    for db_name, var in sorted(used):
        db = next(d for d in spec.databases if d.name == db_name)
        entries.append({"name": db_var(db_name, var), "valueFrom": {"secretKeyRef": {
            "name": database_secret(db), "key": DB_KEYS[var]}}})
    return entries
