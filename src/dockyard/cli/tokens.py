"""``dockyard tokens create|list|revoke``."""

from __future__ import annotations

import json

from dockyard.cli.client import Client
from dockyard.cli.output import TOKEN_COLUMNS, emit


def create(name: str, read_only: bool, output: str) -> None:
    token = Client().post("/v2/dockyard/tokens", {"name": name, "read_only": read_only})["token"]
    if output == "json":
        print(json.dumps({"name": token["name"], "token": token["token"],
                          "read_only": token["read_only"]}))
    else:
        print(token["token"])


def list_(output: str, fmt: str | None, no_header: bool) -> None:
    items = Client().get("/v2/dockyard/tokens")["tokens"]
    emit(items, TOKEN_COLUMNS, output=output, fmt=fmt, no_header=no_header)


def revoke(name: str) -> None:
    import urllib.parse

    Client().delete("/v2/dockyard/tokens/" + urllib.parse.quote(name, safe=""))
    print(f"Token {name} revoked")
