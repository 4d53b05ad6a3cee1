"""SQLite state: the one source of truth for apps, specs, deployments, tokens and alerts.

Only the API server opens the database (the CLI talks to the API). WAL mode lets readers run
beside the deploy thread; every schema change is a numbered migration (see ``migrations``).
"""

from dockyard.store.db import Store
from dockyard.store.invocations import JobInvocation
from dockyard.store.metrics import Sample
from dockyard.store.records import App, Deployment, Token

__all__ = ["App", "Deployment", "JobInvocation", "Sample", "Store", "Token"]
