"""Managed PostgreSQL for ``databases:`` components with ``engine: PG``.

One cluster per installation (``PostgresServer``), run by supervisord from ``program()``;
one database and one role per (app, component), created by ``provision``. ``production: true``
databases point at clusters registered in ``ExternalClusters``.
"""

from dockyard.databases.clusters import ExternalClusters
from dockyard.databases.connection import Connection
from dockyard.databases.engines import check_engine, check_version
from dockyard.databases.server import PostgresServer

__all__ = ["Connection", "ExternalClusters", "PostgresServer", "check_engine", "check_version"]
