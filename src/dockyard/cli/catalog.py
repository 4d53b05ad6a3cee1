"""``dockyard apps list-regions | tier instance-size list|get | tier list|get |
list-buildpacks | list-instances``: catalogues, with doctl's columns."""

from __future__ import annotations

import urllib.parse
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import (
    BUILDPACK_COLUMNS,
    INSTANCE_COLUMNS,
    REGION_COLUMNS,
    SIZE_COLUMNS,
    TIER_COLUMNS,
    emit,
    rows_of,
)

REGION_HEADERS = {"Slug": "Region", "Disabled": "Is Disabled?",
                  "Reason": "Reason (if disabled)", "Default": "Is Default?"}


def human_bytes(raw: str | int) -> str:
    """Binary units as doctl prints them: ``512.00 MiB``, ``1.00 GiB``."""
    value = float(raw or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.2f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.2f} TiB"


def tier_path(size: dict[str, Any]) -> str:
    """doctl's ``TierUpgradeDowngradePath``: ``down <- slug -> up``."""
    path = f"{size['tier_downgrade_to']} <- " if size.get("tier_downgrade_to") else ""
    path += size["slug"]
    return path + (f" -> {size['tier_upgrade_to']}" if size.get("tier_upgrade_to") else "")


SIZE_RENDER = {
    "Name": lambda s: s["name"], "Slug": lambda s: s["slug"],
    "CPUs": lambda s: f"{s['cpus']} {s['cpu_type'].lower()}",
    "Memory": lambda s: human_bytes(s["memory_bytes"]),
    "USDPerMonth": lambda s: s["usd_per_month"],
    "USDPerSecond": lambda s: f"{float(s['usd_per_second']):.7f}",
    "TierSlug": lambda s: s["tier_slug"], "TierUpgradeDowngradePath": tier_path,
}


def regions(output: str, fmt: str | None, no_header: bool) -> None:
    items = Client().get("/v2/apps/regions")["regions"]
    emit(items, REGION_COLUMNS, output=output, fmt=fmt, no_header=no_header,
         headers=REGION_HEADERS)


def sizes(slug: str | None, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    if slug:
        items = [client.get("/v2/apps/tiers/instance_sizes/"
                            + urllib.parse.quote(slug, safe=""))["instance_size"]]
    else:
        items = client.get("/v2/apps/tiers/instance_sizes")["instance_sizes"]
    emit(rows_of(items, SIZE_RENDER), SIZE_COLUMNS, output=output, fmt=fmt,
         no_header=no_header, raw=items, headers={"Slug": "Slug"})


def tiers(slug: str | None, output: str, fmt: str | None, no_header: bool) -> None:
    """The deprecated tiers (``doctl apps tier list|get``, hidden there too)."""
    client = Client()
    if slug:
        items = [client.get("/v2/apps/tiers/" + urllib.parse.quote(slug, safe=""))["tier"]]
    else:
        items = client.get("/v2/apps/tiers")["tiers"]
    render = {"Name": lambda t: t["name"], "Slug": lambda t: t["slug"],
              "EgressBandwidthBytes": lambda t: human_bytes(t["egress_bandwidth_bytes"]),
              "BuildSeconds": lambda t: t["build_seconds"]}
    emit(rows_of(items, render), TIER_COLUMNS, output=output, fmt=fmt, no_header=no_header,
         raw=items)


def buildpacks(output: str, fmt: str | None, no_header: bool) -> None:
    items = Client().get("/v2/apps/buildpacks")["buildpacks"]
    render = {"Name": lambda b: b["name"], "ID": lambda b: b["id"],
              "Version": lambda b: b["version"], "Documentation": lambda b: b["docs_link"]}
    emit(rows_of(items, render), BUILDPACK_COLUMNS, output=output, fmt=fmt,
         no_header=no_header, raw=items)


def instances(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    items = client.get(app_path(app_id, "/instances"))["instances"]
    render = {"Name": lambda i: i["instance_name"], "ComponentName": lambda i: i["component_name"],
              "ComponentType": lambda i: i["component_type"],
              "InstanceAlias": lambda i: i["instance_alias"]}
    emit(rows_of(items, render), INSTANCE_COLUMNS, output=output, fmt=fmt,
         no_header=no_header, raw=items)
