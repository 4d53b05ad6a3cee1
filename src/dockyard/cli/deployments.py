"""``dockyard apps create-deployment | list-deployments | get-deployment | cancel-deployment
| logs``."""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request
from typing import Any

from dockyard.cli.client import Client, app_path
from dockyard.cli.output import DEPLOYMENT_COLUMNS, emit
from dockyard.errors import DockyardError


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


def rollback_commit(ref: str) -> None:
    """Keep a pinned rollback; an app that is not pinned is said so (exit 1)."""
    client = Client()
    app = client.get(app_path(ref))["app"]
    if not app.get("pinned_deployment"):
        raise DockyardError(f"app {app['spec']['name']} is not pinned to a rollback; nothing "
                            "to commit", code="cli.nothing_to_do")
    client.post(app_path(app["id"], "/rollback/commit"))
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
    """Cancel a deployment; one that already ended is said so, and the exit status is 1."""
    from dockyard.cli.events import refuse_if_done

    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    before = client.get(app_path(app_id, f"/deployments/{dep_id}"))["deployment"]
    refuse_if_done(f"deployment {dep_id}", before["phase"])
    dep = client.post(app_path(app_id, f"/deployments/{dep_id}/cancel"))["deployment"]
    refuse_if_done(f"deployment {dep_id}", dep["phase"], after=True)
    show([dep], output, fmt, no_header)


def restart(ref: str, components: tuple[str, ...], *, wait: bool, output: str,
            fmt: str | None, no_header: bool) -> None:
    """doctl's restart: ``--components`` names some (comma-separated or repeated)."""
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    names = [n.strip() for value in components for n in value.split(",") if n.strip()]
    dep = client.post(app_path(app_id, "/restart"),
                      {"components": names} if names else {})["deployment"]
    finish(client, app_id, dep, wait=wait, output=output, fmt=fmt, no_header=no_header)


def upgrade_buildpack(ref: str, buildpack: str, major: int, trigger: bool, *, output: str,
                      fmt: str | None, no_header: bool) -> None:
    """Rebuild what a buildpack built; nothing built with it is said so (exit 1)."""
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    body: dict[str, Any] = {"buildpack_id": buildpack, "trigger_deployment": trigger}
    if major:
        body["major_version"] = major
    result = client.post(app_path(app_id, "/upgrade_buildpack"), body)
    if not result["affected_components"]:
        raise DockyardError(f"no component of {ref} was built with {buildpack}; nothing to "
                            "upgrade", code="cli.nothing_to_do",
                            hint="`dockyard apps list-buildpacks` lists the buildpacks.")
    sys.stderr.write(f"Components to rebuild: {', '.join(result['affected_components'])}\n")
    if result.get("deployment"):
        show([result["deployment"]], output, fmt, no_header)


def logs(ref: str, component: str | None, *, kind: str, follow: bool, tail: int,
         deployment: str | None, no_prefix: bool = False, event: str | None = None,
         invocation: str | None = None) -> None:
    """Fetch the signed log URL the API hands out, as doctl does, and print it: ``--tail N``
    (with ``--follow`` too: the newest N lines, then new ones), ``--no-prefix`` (lines
    without their instance), ``--event-id`` (an event's logs), ``--job-invocation`` (one
    invocation of the job named as COMPONENT)."""
    client = Client()
    app_id = client.get(app_path(ref))["app"]["id"]
    path = log_path(component, deployment, event, invocation)
    if invocation:
        kind = "JOB_INVOCATION"
    query: dict[str, Any] = {"type": kind.upper(), "follow": "true" if follow else "false"}
    if tail >= 0:
        query["tail_lines"] = tail
    if invocation and deployment:
        query["deployment_id"] = deployment
    urls = client.get(app_path(app_id, path + "/logs"), **query)
    url = urls["live_url"] if follow else (urls["historic_urls"] or [urls["live_url"]])[0]
    url += f"&tail={tail}" if tail >= 0 else ""
    url += "&prefix=false" if no_prefix else ""
    with urllib.request.urlopen(url, context=client.ctx, timeout=None) as resp:
        for raw in resp:
            sys.stdout.write(raw.decode("utf-8", "replace"))
            sys.stdout.flush()


def log_path(component: str | None, deployment: str | None, event: str | None,
             invocation: str | None) -> str:
    """The API path (before ``/logs``) of the logs asked for."""
    quote = urllib.parse.quote
    if invocation:
        if not component:
            raise DockyardError("--job-invocation needs the job's name: "
                                "`dockyard apps logs APP JOB --job-invocation ID`")
        return f"/jobs/{quote(component, safe='')}/invocations/{quote(invocation, safe='')}"
    if event:
        return "/events/" + quote(event, safe="")
    path = f"/deployments/{deployment}" if deployment else ""
    return path + (f"/components/{quote(component)}" if component else "")
