"""External PostgreSQL clusters for ``production: true`` databases (``cluster_name``).

``dockyard databases clusters add NAME --url postgres://…`` records a URL under a name; the
URL (it holds a password) is kept encrypted in a 0600 file and shown only with the password
replaced by ``***``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dockyard.databases.connection import Connection
from dockyard.errors import DockyardError, NotFound
from dockyard.files import write_private
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")


class ExternalClusters:
    """The registry in ``home/postgres/clusters.json``: name → encrypted URL."""

    def __init__(self, path: Path, box: SecretBox) -> None:
        self.path = path
        self.box = box

    @classmethod
    def for_home(cls, home: Home, box: SecretBox) -> ExternalClusters:
        """The installation's registry, read without starting the managed PostgreSQL (a
        cluster installation runs none)."""
        return cls(home.root / "postgres" / "clusters.json", box)

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, data: dict[str, str]) -> None:
        write_private(self.path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())

    def add(self, name: str, url: str) -> None:
        """Record (or replace) a cluster; the URL must parse as a PostgreSQL URL."""
        if not NAME_RE.fullmatch(name):
            raise DockyardError(f"cluster name '{name}': expected lowercase letters, digits and "
                                "dashes, starting with a letter (2-32 characters)",
                                code="database.invalid_cluster_name")
        Connection.from_url(url)
        data = self._load()
        data[name] = self.box.encrypt(url)
        self._save(data)

    def get(self, name: str) -> str:
        data = self._load()
        if name not in data:
            known = ", ".join(sorted(data)) or "none"
            raise NotFound(f"no external database cluster named '{name}' (known: {known})",
                           code="database.cluster_not_found",
                           hint=f"Fix: dockyard databases clusters add {name} --url "
                                "postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        return self.box.decrypt(data[name])

    def remove(self, name: str) -> None:
        data = self._load()
        self.get(name)
        del data[name]
        self._save(data)

    def list(self) -> list[dict[str, str]]:
        """``[{"name", "url"}]`` sorted by name, URLs with the password masked."""
        out = []
        for name in sorted(self._load()):
            out.append({"name": name, "url": Connection.from_url(self.get(name)).masked_url})
        return out
