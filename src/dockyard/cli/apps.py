"""``dockyard apps …``: doctl's app verbs over Dockyard's API."""

from __future__ import annotations

import json
import sys
from contextlib import redirect_stdout
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
           no_header: bool, update_sources: bool = False, project_id: str | None = None,
           skip: bool = False) -> None:
    body = read_spec(spec_file)
    if skip:
        body["skip_undeployable"] = True
    if update_sources:
        body["update_all_source_versions"] = True  # used when --upsert updates the app
    if project_id:
        body["project_id"] = project_id
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


def list_(output: str, fmt: str | None, no_header: bool, with_projects: bool = False) -> None:
    client = Client()
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get("/v2/apps", page=page, per_page=200,
                          with_projects="true" if with_projects else None)
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
        secret = hook.get("secret") or "(hidden from read-only tokens)"
        print(f"\nGitHub webhook (deploy_on_push): POST {hook['url']}  "
              f"content type {hook['content_type']}, secret {secret}")


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
           no_header: bool, update_sources: bool = False, skip: bool = False) -> None:
    client = Client()
    body = read_spec(spec_file)
    body["update_all_source_versions"] = update_sources
    if skip:
        body["skip_undeployable"] = True
    app = client.put(app_path(ref), body)["app"]
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
    show_plan(result)


def offline_blockers(doc: Any) -> list[str]:
    """What the spec alone says will not deploy; a spec with nothing to run is an error."""
    from dockyard.buildpacks import plan

    blocked = [str(i) for i in doc.undeployable()]
    blocked += [str(doc.issue(f.loc, f.reason)) for f in plan.blockers(doc.spec)]
    if plan.nothing_to_run(doc.spec):
        raise DockyardError("this app has nothing Dockyard can run:\n" + "\n".join(blocked),
                            code="spec.nothing_to_deploy",
                            hint="Deploy its functions on DigitalOcean, or add a service, "
                                 "worker, job or static site built from git.")
    return blocked


def show_plan(result: dict[str, Any], notes: bool = True) -> None:
    """Which buildpack builds each component, what will not deploy, and the notes."""
    for build in result.get("builds", []):
        if build.get("deployable"):
            print(f"Builds                {build['path']} '{build['component']}': "
                  f"{build['buildpack']} ({build['reason']})")
    for item in result.get("undeployable", []):
        print(f"Will Not Deploy       {item}")
    for note in result.get("notes", []) if notes else []:
        print(f"Note                  {note}")
    unbuilt = [b["component"] for b in result.get("builds", []) if not b.get("deployable")]
    if unbuilt:
        fail(f"the build of {', '.join(unbuilt)} will fail at its branch head as it is: fix "
             "what is listed above (source_dir, a manifest, dockerfile_path, the image) "
             "(--skip-undeployable does not leave it out)")
    if len(result.get("undeployable", [])) > len(unbuilt):
        fail("apps create refuses this spec as it is; fix the components above or pass "
             "--skip-undeployable to deploy the rest")


def spec_get(ref: str, fmt: str, deployment: str | None = None) -> None:
    """The app's spec as stored (YAML keeps the user's comments), or with ``--deployment``
    the spec that deployment ran."""
    if fmt not in ("yaml", "json"):
        raise DockyardError(f"--format must be yaml or json, not {fmt!r}")
    client = Client()
    app = client.get(app_path(ref))["app"]
    if deployment:
        spec = client.get(app_path(app["id"], f"/deployments/{deployment}"))["deployment"]["spec"]
        print_spec(spec, fmt)
    elif fmt == "json":
        print(json.dumps(app["spec"], indent=2))
    else:
        sys.stdout.write(app["dockyard"]["spec_yaml"])


def print_spec(spec: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(spec, indent=2))
        return
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(spec, sys.stdout)


def spec_validate(path: str, output: str, schema_only: bool = False) -> None:
    """doctl's ``spec validate``: checked here first (every error, with file and line); then,
    unless ``--schema-only``, on the server as ``propose`` does, printing the spec the server
    would store. Without a running server the offline check stands, and says so."""
    from dockyard.appspec import load_spec_file

    doc = load_spec_file(path)
    blocked = offline_blockers(doc)
    checked = None if schema_only else server_check(doc)
    if checked is None:
        if output == "json":
            print(json.dumps(doc.to_dict(), indent=2))
        else:
            sys.stdout.write(doc.to_yaml())
    else:
        print_spec(checked["spec"], "json" if output == "json" else "yaml")
    for note in (checked or {}).get("notes", doc.notes):
        sys.stderr.write(f"       note: {note}\n")
    if checked is None:
        for item in blocked:
            sys.stderr.write(f" !     will not deploy: {item}\n")
    else:
        with redirect_stdout(sys.stderr):
            show_plan(checked, notes=False)


def server_check(doc: Any) -> dict[str, Any] | None:
    """The server's ``propose`` answer for a spec; None when Dockyard is not running."""
    try:
        client = Client()
        return client.post("/v2/apps/propose", {"spec": doc.to_dict(), "spec_yaml": doc.to_yaml()})
    except DockyardError as exc:
        if exc.code != "cli.not_running":
            raise
    sys.stderr.write("       note: Dockyard is not running: checked offline only (as "
                     "--schema-only)\n")
    return None
