"""``dockyard apps …``: doctl's app verbs over Dockyard's API."""

from __future__ import annotations

import json
import sys
from typing import Any

from dockyard.cli.client import ApiError, Client, app_path
from dockyard.cli.output import APP_COLUMNS, emit, fail
from dockyard.errors import DockyardError


def read_spec(path: str) -> dict[str, Any]:
    """Load and validate a spec file locally first: errors name the file and line.

    The request carries DigitalOcean's ``spec`` object plus the YAML text (a Dockyard
    extension), so the server keeps the user's comments for ``apps spec get``.
    """
    from dockyard.appspec import load_spec_file

    doc = load_spec_file(path)
    return {"spec": doc.to_dict(), "spec_yaml": doc.to_yaml()}


def show_apps(items: list[dict[str, Any]], output: str, fmt: str | None, no_header: bool,
              raw: Any = None) -> None:
    emit(items, APP_COLUMNS, output=output, fmt=fmt, no_header=no_header, raw=raw)


def create(spec_file: str, *, wait: bool, upsert: bool, output: str, fmt: str | None,
           no_header: bool) -> None:
    body = read_spec(spec_file)
    client = Client()
    try:
        app = client.post("/v2/apps", body)["app"]
    except ApiError as exc:
        if not (upsert and exc.status == 409):
            raise
        app = client.put(app_path(body["spec"]["name"]), body)["app"]
    finish(client, app, wait=wait, output=output, fmt=fmt, no_header=no_header)


def finish(client: Client, app: dict[str, Any], *, wait: bool, output: str, fmt: str | None,
           no_header: bool) -> None:
    """Print the app; with ``--wait`` follow its deployment and fail if it fails."""
    if wait:
        dep = app.get("in_progress_deployment") or app.get("pending_deployment")
        if dep:
            from dockyard.cli.progress import follow

            follow(client, app["id"], dep["id"])
        app = client.get(app_path(app["id"]))["app"]
    show_apps([app], output, fmt, no_header, raw=[app])


def list_(output: str, fmt: str | None, no_header: bool) -> None:
    client = Client()
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get("/v2/apps", page=page, per_page=200)
        items += body["apps"]
        if "next" not in body.get("links", {}).get("pages", {}):
            break
        page += 1
    show_apps(items, output, fmt, no_header)


def get(ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    app = Client().get(app_path(ref))["app"]
    show_apps([app], output, fmt, no_header, raw=[app])
    if output == "text" and not fmt:
        show_domains(app)
    hook = app.get("dockyard", {}).get("webhook")
    if output == "text" and not fmt and hook:
        print(f"\nGitHub webhook (deploy_on_push): POST {hook['url']}  "
              f"content type {hook['content_type']}, secret {hook['secret']}")


def show_domains(app: dict[str, Any]) -> None:
    """Public mode: each domain's phase, and why it is not ACTIVE (or its expiry)."""
    rows = []
    default = app.get("dockyard", {}).get("default_ingress")
    if default:
        rows.append((default["domain"], "DEFAULT", default["phase"], default["reason"],
                     default["certificate_expires_at"]))
    for d in app.get("domains") or []:
        step = (d.get("progress", {}).get("steps") or [{}])[0]
        rows.append((d["spec"]["domain"], d["spec"].get("type", ""), d["phase"],
                     step.get("reason", {}).get("message", ""),
                     d.get("certificate_expires_at", "")))
    if not rows:
        return
    print("\nDomains:")
    for name, kind, phase, reason, expires in rows:
        extra = reason or (f"certificate valid until {expires[:10]}" if expires else "")
        print(f"  {name:<40} {kind:<8} {phase:<12} {extra}".rstrip())


def update(ref: str, spec_file: str, *, wait: bool, output: str, fmt: str | None,
           no_header: bool) -> None:
    client = Client()
    app = client.put(app_path(ref), read_spec(spec_file))["app"]
    finish(client, app, wait=wait, output=output, fmt=fmt, no_header=no_header)


def delete(ref: str, force: bool) -> None:
    client = Client()
    app = client.get(app_path(ref))["app"]
    if not force:
        if not sys.stdin.isatty():
            raise DockyardError(f"refusing to delete app {app['spec']['name']} without "
                                "confirmation", hint="Pass --force to delete without asking.")
        answer = input(f"Warning: Are you sure you want to delete app "
                       f"{app['spec']['name']} ({app['id']})? (y/N) ")
        if answer.strip().lower() not in ("y", "yes"):
            fail("App not deleted")
            sys.exit(1)
    client.delete(app_path(app["id"]))
    print("App deleted")


def propose(spec_file: str, app_id: str | None, output: str) -> None:
    body = read_spec(spec_file)
    if app_id:
        body["app_id"] = app_id
    result = Client().post("/v2/apps/propose", body)
    if output == "json":
        print(json.dumps(result, indent=2))
        return
    print(f"App Name Available    {'yes' if result['app_name_available'] else 'no'}")
    if result.get("app_name_suggestion"):
        print(f"App Name Suggestion   {result['app_name_suggestion']}")
    print(f"App Is Static         {'yes' if result['app_is_static'] else 'no'}")
    print(f"App Cost              {result['app_cost']}")
    for note in result.get("notes", []):
        print(f"Note                  {note}")


def spec_get(ref: str, fmt: str) -> None:
    app = Client().get(app_path(ref))["app"]
    if fmt == "json":
        print(json.dumps(app["spec"], indent=2))
    elif fmt == "yaml":
        sys.stdout.write(app["dockyard"]["spec_yaml"])
    else:
        raise DockyardError(f"--format must be yaml or json, not {fmt!r}")


def spec_validate(path: str, output: str) -> None:
    """Offline validation (like doctl's --schema-only): print the spec or every error."""
    from dockyard.appspec import load_spec_file

    doc = load_spec_file(path)
    if output == "json":
        print(json.dumps(doc.to_dict(), indent=2))
    else:
        sys.stdout.write(doc.to_yaml())
    for note in doc.notes:
        sys.stderr.write(f"       note: {note}\n")
