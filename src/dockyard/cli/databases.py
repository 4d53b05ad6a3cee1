"""``dockyard databases …``: backups, restores and external clusters (through the API)."""

from __future__ import annotations

import json
import urllib.parse

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import emit

BACKUP_COLUMNS = ["Database", "Name", "Size", "Created"]


def db_path(app_id: str, db: str, suffix: str) -> str:
    return "/v2/dockyard/apps/" + app_id + "/databases/" + urllib.parse.quote(db) + suffix


def backup(ref: str, db: str, output: str) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    found = client.post(db_path(app_id, db, "/backups"))["backup"]
    if output == "json":
        print(json.dumps(found, indent=2))
    else:
        print(f"Backup {found['name']} ({found['size']} bytes)")


def restore(ref: str, db: str, name: str | None) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    done = client.post(db_path(app_id, db, "/restore"), {"backup": name or ""})
    print(f"Restored {db} from {done['restored']}")


def backups(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    items = client.get(f"/v2/dockyard/apps/{app_id}/backups")["backups"]
    emit(items, BACKUP_COLUMNS, output=output, fmt=fmt, no_header=no_header)


def clusters_add(name: str, url: str) -> None:
    Client().post("/v2/dockyard/clusters", {"name": name, "url": url})
    print(f"Cluster {name} registered")


def clusters_list(output: str, fmt: str | None, no_header: bool) -> None:
    items = Client().get("/v2/dockyard/clusters")["clusters"]
    emit(items, ["Name", "Url"], output=output, fmt=fmt, no_header=no_header)


def clusters_remove(name: str) -> None:
    Client().delete("/v2/dockyard/clusters/" + urllib.parse.quote(name, safe=""))
    print(f"Cluster {name} removed")
