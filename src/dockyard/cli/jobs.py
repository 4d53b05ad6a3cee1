"""``dockyard apps list-job-invocations`` / ``get-job-invocation`` / ``cancel-job-invocation``:
scheduled job invocations, with doctl's columns (ID, Job Name, Created, Started, Completed,
Phase)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import emit

JOB_INVOCATION_COLUMNS = ["ID", "Jobname", "Created", "Started", "Completed", "Phase"]


def show(items: list[dict[str, Any]], output: str, fmt: str | None, no_header: bool) -> None:
    rows = [{**i, "jobname": i.get("job_name", "")} for i in items]
    emit(rows, JOB_INVOCATION_COLUMNS, output=output, fmt=fmt, no_header=no_header, raw=items)


def list_(ref: str, *, deployment: str | None, job_name: str | None, output: str,
          fmt: str | None, no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(app_path(app_id, "/job-invocations"), deployment_id=deployment,
                          job_names=job_name, page=page, per_page=200)
        items += body.get("job_invocations", [])
        if "next" not in (body.get("links") or {}).get("pages", {}):
            break
        page += 1
    show(items, output, fmt, no_header)


def get(ref: str, inv_id: str, *, job_name: str | None, output: str, fmt: str | None,
        no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    inv = client.get(app_path(app_id, f"/job-invocations/{inv_id}"), job_name=job_name)
    show([inv], output, fmt, no_header)


def cancel(ref: str, inv_id: str, *, job_name: str | None, output: str, fmt: str | None,
           no_header: bool) -> None:
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    suffix = f"/job-invocations/{inv_id}/cancel"
    if job_name:
        suffix += "?" + urlencode({"job_name": job_name})
    show([client.post(app_path(app_id, suffix))], output, fmt, no_header)
