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

APP_COLUMNS = ["ID", "Spec.Name", "DefaultIngress", "ActiveDeployment.ID",
               "InProgressDeployment.ID", "Created", "Updated"]
DEPLOYMENT_COLUMNS = ["ID", "Cause", "Progress", "Phase", "Created", "Updated"]
TOKEN_COLUMNS = ["Name", "ReadOnly", "Created"]
HEADERS = {"Spec.Name": "Spec Name", "DefaultIngress": "Default Ingress",
           "ActiveDeployment.ID": "Active Deployment ID",
           "InProgressDeployment.ID": "In Progress Deployment ID", "Created": "Created At",
           "Updated": "Updated At", "ReadOnly": "Read Only", "Jobname": "Job Name",
           "Started": "Started At", "Completed": "Completed At"}


def snake(part: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", part).lower()


def field(obj: dict[str, Any], column: str) -> Any:
    """A doctl column id (``ActiveDeployment.ID``) read from a JSON object."""
    if column == "Progress":
        return progress_text(obj.get("progress") or {})
    value: Any = obj
    for part in column.split("."):
        if not isinstance(value, dict):
            return ""
        key = snake(part)
        value = value.get(key, value.get(key + "_at", ""))
    return value if value is not None else ""


def progress_text(progress: dict[str, Any]) -> str:
    text = f"{progress.get('success_steps', 0)}/{progress.get('total_steps', 0)}"
    errors = progress.get("error_steps", 0)
    return text + (f" (errors: {errors})" if errors else "")


def emit(items: Sequence[dict[str, Any]], columns: Sequence[str], *, output: str,
         fmt: str | None, no_header: bool = False, raw: Any = None) -> None:
    if output == "json":
        print(json.dumps(raw if raw is not None else list(items), indent=2))
        return
    cols = [c.strip() for c in fmt.split(",")] if fmt else list(columns)
    rows = [[str(field(item, c)) for c in cols] for item in items]
    headers = [HEADERS.get(c, c.replace(".", " ")) for c in cols]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=not no_header, box=None, pad_edge=False)
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    lines = rows if no_header else [headers, *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(cols))] if lines else []
    for r in lines:
        print("    ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def fail(message: str, hint: str | None = None) -> None:
    for line in message.splitlines() or [""]:
        sys.stderr.write(" !     " + line + "\n")
    if hint:
        for line in hint.splitlines():
            sys.stderr.write("       " + line + "\n")
