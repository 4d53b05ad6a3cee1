"""doctl-style output: ``--output text|json``, ``--format`` columns, ``--no-header``.

Text output is a table (rich on a terminal, aligned plain columns otherwise); JSON output is
the full objects. Errors go to stderr as `` !     `` lines (docs/conventions.md §10, §11).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from dockyard.errors import DockyardError

# doctl's displayers: the column ids ``--format`` takes, in their default order.
APP_COLUMNS = ["ID", "Spec.Name", "DefaultIngress", "ActiveDeployment.ID",
               "InProgressDeployment.ID", "Created", "Updated"]
DEPLOYMENT_COLUMNS = ["ID", "Cause", "Progress", "Phase", "Created", "Updated"]
EVENT_COLUMNS = ["ID", "Type", "DeploymentID", "Created", "Phase"]
INSTANCE_COLUMNS = ["Name", "ComponentName", "ComponentType", "InstanceAlias"]
REGION_COLUMNS = ["Slug", "Label", "Continent", "DataCenters", "Disabled", "Reason", "Default"]
SIZE_COLUMNS = ["Name", "Slug", "CPUs", "Memory", "USDPerMonth", "USDPerSecond", "TierSlug",
                "TierUpgradeDowngradePath"]
TIER_COLUMNS = ["Name", "Slug", "EgressBandwidthBytes", "BuildSeconds"]
BUILDPACK_COLUMNS = ["Name", "ID", "Version", "Documentation"]
TOKEN_COLUMNS = ["Name", "ReadOnly", "Created"]
HEADERS = {"Spec.Name": "Spec Name", "DefaultIngress": "Default Ingress",
           "ActiveDeployment.ID": "Active Deployment ID",
           "InProgressDeployment.ID": "In Progress Deployment ID", "Created": "Created At",
           "Updated": "Updated At", "ReadOnly": "Read Only", "DeploymentID": "Deployment ID",
           "ComponentName": "Component Name", "ComponentType": "Component Type",
           "InstanceAlias": "Instance Alias", "DataCenters": "Data Centers",
           "USDPerMonth": "$/month", "USDPerSecond": "$/second", "TierSlug": "Tier",
           "TierUpgradeDowngradePath": "Tier Downgrade/Upgrade Path",
           "EgressBandwidthBytes": "Egress Bandwidth", "BuildSeconds": "Build Seconds",
           "Jobname": "Job Name", "Started": "Started At", "Completed": "Completed At"}


def snake(part: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", part).lower()


def field(obj: dict[str, Any], column: str) -> Any:
    """A doctl column id (``ActiveDeployment.ID``) read from a JSON object."""
    if column == "Progress":
        return progress_text(obj.get("progress") or {})
    if snake(column) in obj:  # a row made by ``rows_of``
        return obj[snake(column)]
    value: Any = obj
    for part in column.split("."):
        if not isinstance(value, dict):
            return ""
        key = snake(part)
        value = value.get(key, value.get(key + "_at", ""))
    return value if value is not None else ""


def rows_of(items: Sequence[dict[str, Any]],
            render: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows for columns whose text is computed (doctl's ``KV()``): ``render`` maps a
    column id to a function of the item."""
    return [{snake(column): fn(item) for column, fn in render.items()} for item in items]


def text(value: Any) -> str:
    """A value as doctl prints it: booleans lower case, lists in brackets."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(text(v) for v in value) + "]"
    return str(value)


def chosen_columns(fmt: str | None, columns: Sequence[str]) -> list[str]:
    """``--format``'s columns (doctl's ids, any case), or the default ones; an unknown column
    is an error that lists the known ones."""
    if not fmt:
        return list(columns)
    known = {c.lower(): c for c in columns}
    chosen, unknown = [], []
    for raw in fmt.split(","):
        name = raw.strip()
        if name.lower() in known:
            chosen.append(known[name.lower()])
        else:
            unknown.append(name)
    if unknown or not chosen:
        raise DockyardError(f"--format: unknown column {', '.join(map(repr, unknown)) or '(none)'}"
                            f"; known columns: {', '.join(columns)}", code="cli.bad_format")
    return chosen


def progress_text(progress: dict[str, Any]) -> str:
    text = f"{progress.get('success_steps', 0)}/{progress.get('total_steps', 0)}"
    errors = progress.get("error_steps", 0)
    return text + (f" (errors: {errors})" if errors else "")


def emit(items: Sequence[dict[str, Any]], columns: Sequence[str], *, output: str,
         fmt: str | None, no_header: bool = False, raw: Any = None,
         headers: dict[str, str] | None = None) -> None:
    """Print ``items`` as JSON (``raw`` if given) or as a table of ``columns`` (``--format``
    picks some; ``headers`` overrides a column's title)."""
    cols = chosen_columns(fmt, columns)
    if output == "json":
        print(json.dumps(raw if raw is not None else list(items), indent=2))
        return
    rows = [[text(field(item, c)) for c in cols] for item in items]
    titles = {**HEADERS, **(headers or {})}
    headers_row = [titles.get(c, c.replace(".", " ")) for c in cols]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=not no_header, box=None, pad_edge=False)
        for h in headers_row:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    lines = rows if no_header else [headers_row, *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(cols))] if lines else []
    for r in lines:
        print("    ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def fail(message: str, hint: str | None = None) -> None:
    for line in message.splitlines() or [""]:
        sys.stderr.write(" !     " + line + "\n")
    if hint:
        for line in hint.splitlines():
            sys.stderr.write("       " + line + "\n")
