"""``dockyard apps create-deployment | restart | list-deployments | get-deployment |
cancel-deployment | rollback | logs``."""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import DEPLOYMENT_COLUMNS, emit


def show(items: list[dict[str, Any]], output: str, fmt: str | None, no_header: bool) -> None:
    emit(items, DEPLOYMENT_COLUMNS, output=output, fmt=fmt, no_header=no_header)


def create(ref: str, *, force_rebuild: bool, wait: bool, output: str, fmt: str | None,
           no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    dep = client.post(app_path(app_id, "/deployments"),
                      {"force_build": force_rebuild})["deployment"]
    finish(client, app_id, dep, wait=wait, output=output, fmt=fmt, no_header=no_header)


def rollback(ref: str, dep_id: str | None, *, skip_pin: bool, with_data: bool, wait: bool,
             output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    body = {"deployment_id": dep_id or "", "skip_pin": skip_pin, "with_data": with_data}
    dep = client.post(app_path(app_id, "/rollback"), body)["deployment"]
    finish(client, app_id, dep, wait=wait, output=output, fmt=fmt, no_header=no_header)


def restart(ref: str, components: list[str], *, wait: bool, output: str, fmt: str | None,
            no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    dep = client.post(app_path(app_id, "/restart"), {"components": components})["deployment"]
    finish(client, app_id, dep, wait=wait, output=output, fmt=fmt, no_header=no_header)


def rollback_commit(ref: str) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    client.post(app_path(app_id, "/rollback/commit"))
    print("Rollback committed: the app is no longer pinned")


def rollback_revert(ref: str, *, wait: bool, output: str, fmt: str | None,
                    no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    dep = client.post(app_path(app_id, "/rollback/revert"))["deployment"]
    finish(client, app_id, dep, wait=wait, output=output, fmt=fmt, no_header=no_header)


def finish(client: Client, app_id: str, dep: dict[str, Any], *, wait: bool, output: str,
           fmt: str | None, no_header: bool) -> None:
    if wait:
        from dockyard.cli.progress import follow

        dep = follow(client, app_id, dep["id"])
    show([dep], output, fmt, no_header)


def list_(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(app_path(app_id, "/deployments"), page=page, per_page=200)
        items += body["deployments"]
        if "next" not in body.get("links", {}).get("pages", {}):
            break
        page += 1
    show(items, output, fmt, no_header)


def get(ref: str, dep_id: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    dep = client.get(app_path(app_id, f"/deployments/{dep_id}"))["deployment"]
    show([dep], output, fmt, no_header)


def cancel(ref: str, dep_id: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    dep = client.post(app_path(app_id, f"/deployments/{dep_id}/cancel"))["deployment"]
    show([dep], output, fmt, no_header)


def logs(ref: str, component: str | None, *, kind: str, follow: bool, tail: int,
         deployment: str | None) -> None:
    """Fetch the signed log URL the API hands out, as doctl does, and print it."""
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    path = f"/deployments/{deployment}" if deployment else ""
    path += f"/components/{urllib.parse.quote(component)}" if component else ""
    query: dict[str, Any] = {"type": kind.upper(), "follow": "true" if follow else "false"}
    if tail >= 0:
        query["tail_lines"] = tail
    urls = client.get(app_path(app_id, path + "/logs"), **query)
    url = urls["live_url"] if follow else (urls["historic_urls"] or [urls["live_url"]])[0]
    if not follow and tail >= 0:
        url += f"&tail={tail}"
    with urllib.request.urlopen(url, context=client.ctx, timeout=None) as resp:
        for raw in resp:
            sys.stdout.write(raw.decode("utf-8", "replace"))
            sys.stdout.flush()
