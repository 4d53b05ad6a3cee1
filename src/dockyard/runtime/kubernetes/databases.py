"""Databases on a cluster: a dev PostgreSQL as a CloudNativePG ``Cluster``, anything else
(``production: true``, another engine) as an existing server whose URL Dockyard is given.

CloudNativePG writes the credentials to ``<cluster>-app`` (keys ``uri``, ``host``, ``port``,
``username``, ``password``, ``dbname``, ``jdbc-uri``); for an external database Dockyard
writes ``<db>-external`` with the same keys, so the env vars read both alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from dockyard.runtime.kubernetes import names
from dockyard.runtime.kubernetes.env import database_secret, is_external
from dockyard.runtime.kubernetes.target import SECRET_PLACEHOLDER, Manifest, Target
from dockyard.runtime.kubernetes.workloads import meta

CNPG_API = "postgresql.cnpg.io/v1"
DEFAULT_PG_MAJOR = 16


def database_manifests(db: Any, target: Target, labels: dict[str, str]) -> list[Manifest]:
    if is_external(db):
        return [external_secret(db, target, labels)]
    return [cnpg_cluster(db, target, labels)]


def cnpg_cluster(db: Any, target: Target, labels: dict[str, str]) -> Manifest:
    """One instance (a dev database), its database and owner named as the spec says."""
    major = int(db.version) if db.version and str(db.version).isdigit() else DEFAULT_PG_MAJOR
    name = names.dns_label(db.name)
    return {"apiVersion": CNPG_API, "kind": "Cluster",
            "metadata": meta(name, target, labels),
            "spec": {"instances": 1,
                     "imageName": f"ghcr.io/cloudnative-pg/postgresql:{major}",
                     "storage": {"size": target.storage_size},
                     "bootstrap": {"initdb": {"database": db.db_name or db.name,
                                              "owner": db.db_user or db.name}}}}


def url_keys(url: str) -> dict[str, str]:
    """The Secret keys CloudNativePG would write, taken from a connection URL."""
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    host = parts.hostname or ""
    port = str(parts.port or 5432)
    return {"uri": url, "host": host, "port": port,
            "username": unquote(parts.username or ""), "password": unquote(parts.password or ""),
            "dbname": dbname, "jdbc-uri": f"jdbc:postgresql://{host}:{port}/{dbname}"}


def external_secret(db: Any, target: Target, labels: dict[str, str]) -> Manifest:
    """``<db>-external`` from the URL Dockyard was given (placeholders when rendering offline)."""
    url = target.external_databases.get(db.name)
    data = url_keys(url) if url else {key: SECRET_PLACEHOLDER for key in url_keys("x://h/d")}
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": meta(database_secret(db), target, labels), "stringData": data}
