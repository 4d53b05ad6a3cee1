"""Command definitions (click). Bodies import their work lazily so the CLI starts fast.

doctl's global flags (``--output``, ``--format``, ``--no-header``) are repeated on each
command that prints objects, as doctl accepts them after the verb.
"""

from __future__ import annotations

import click

from dockyard.cli.groups import (
    app_argument,
    apps,
    cli,
    output_option,
    spec,
    spec_option,
    table_options,
    wait_option,
)


# -- control plane ------------------------------------------------------------------------
@cli.command()
@click.option("--public/--local", "public", default=None,
              help="Public mode: HAProxy on :80/:443, https://<app>.<domain> with ACME "
                   "certificates. --local goes back to 127.0.0.1 only. Saved in config.json.")
@click.option("--domain", help="Apps answer at <app>.<domain> (a wildcard DNS record).")
@click.option("--email", help="Contact for the ACME account (expiry warnings).")
@click.option("--http-port", type=int, help="Public HTTP port (default 80).")
@click.option("--https-port", type=int, help="Public HTTPS port (default 443).")
@click.option("--bind", "bind", multiple=True, metavar="ADDRESS",
              help="Address to listen on (repeat; default :: = IPv4 and IPv6).")
@click.option("--api-domain", help="The API's public host (default dockyard.<domain>).")
@click.option("--api-allow", multiple=True, metavar="NETWORK",
              help="Only these source networks reach the API through the public ingress.")
@click.option("--acme-directory", metavar="URL", help="ACME directory (default Let's Encrypt).")
@click.option("--acme-ca-bundle", metavar="FILE", help="CA file for the ACME directory's HTTPS.")
@click.option("--acme-eab-kid", metavar="KID", help="External account binding key id.")
@click.option("--acme-eab-hmac-key-file", metavar="FILE", type=click.File("r"),
              help="File holding the external account binding's HMAC key (stored encrypted; "
                   "never on a command line).")
@click.option("--dns01-hook", metavar="PROGRAM",
              help="Publishes DNS-01 TXT records (`PROGRAM present|cleanup NAME VALUE`); "
                   "needed for wildcard domains.")
@output_option
@click.option("--runtime", type=click.Choice(["local", "kubernetes"]), default=None,
              help="Where apps run (kept in config.json; default: local).")
@click.option("--kubeconfig", metavar="FILE", default=None,
              help="kubernetes: the cluster's kubeconfig.")
@click.option("--image-registry", metavar="R", default=None,
              help="kubernetes: where release images are pushed, e.g. registry.example.com/dy.")
@click.option("--insecure-registry/--verify-registry", "insecure_registry", default=None,
              help="kubernetes: push to the registry over plain HTTP, without TLS checks "
                   "(a registry on a private network); kept in config.json.")
def up(output: str, **options: object) -> None:
    """Start Dockyard (API server, router, supervisor) in the background; idempotent."""
    from dockyard.cli import control

    control.up(output, options)


@cli.command()
def down() -> None:
    """Stop everything Dockyard started; apps come back on the next `up`."""
    from dockyard.cli import control

    control.down()


@cli.command()
@output_option
def status(output: str) -> None:
    """Show the API URL, the CA certificate and which parts are running."""
    from dockyard.cli import control

    control.status(output)


# -- apps ---------------------------------------------------------------------------------
SKIP_OPTION = click.option(
    "--skip-undeployable", "skip", is_flag=True,
    help="Deploy the components Dockyard can build and leave out the others (functions, "
         "Dockerfile builds, image sources, unsupported environment_slug); without it such "
         "a spec is refused.")
UPDATE_SOURCES = click.option(
    "--update-sources", is_flag=True,
    help="Deploy each component's newest commit (DigitalOcean's update_all_source_versions); "
         "without it, components whose source did not change keep the commit they run.")


@apps.command("create")
@spec_option
@wait_option
@click.option("--upsert", is_flag=True, help="Update the app if one with this name exists.")
@UPDATE_SOURCES
@SKIP_OPTION
@click.option("--project-id", default=None, metavar="ID",
              help="DigitalOcean project (accepted; Dockyard has no projects).")
@table_options
def apps_create(spec_file: str, wait: bool, upsert: bool, update_sources: bool, skip: bool,
                project_id: str | None, output: str, fmt: str | None, no_header: bool) -> None:
    """Create an app from an App Spec and deploy it."""
    from dockyard.cli import apps as impl

    impl.create(spec_file, wait=wait, upsert=upsert, output=output, fmt=fmt,
                no_header=no_header, update_sources=update_sources, project_id=project_id,
                skip=skip)


@apps.command("list")
@click.option("--with-projects", is_flag=True,
              help="DigitalOcean's project ids (accepted; Dockyard has no projects).")
@table_options
def apps_list(with_projects: bool, output: str, fmt: str | None, no_header: bool) -> None:
    """List apps."""
    from dockyard.cli import apps as impl

    impl.list_(output, fmt, no_header, with_projects=with_projects)


@apps.command("get")
@app_argument
@table_options
def apps_get(app_ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    """Show one app (by id or name)."""
    from dockyard.cli import apps as impl

    impl.get(app_ref, output, fmt, no_header)


@apps.command("update")
@app_argument
@spec_option
@wait_option
@UPDATE_SOURCES
@SKIP_OPTION
@table_options
def apps_update(app_ref: str, spec_file: str, wait: bool, update_sources: bool, skip: bool,
                output: str,
                fmt: str | None, no_header: bool) -> None:
    """Replace an app's spec and deploy it."""
    from dockyard.cli import apps as impl

    impl.update(app_ref, spec_file, wait=wait, output=output, fmt=fmt, no_header=no_header,
                update_sources=update_sources, skip=skip)


@apps.command("delete")
@app_argument
@click.option("--force", "-f", is_flag=True, help="Delete without asking.")
def apps_delete(app_ref: str, force: bool) -> None:
    """Delete an app, its processes and its routes."""
    from dockyard.cli import apps as impl

    impl.delete(app_ref, force)


@apps.command("propose")
@spec_option
@click.option("--app", "app_id", default=None, help="Existing app id (a proposed update).")
@output_option
def apps_propose(spec_file: str, app_id: str | None, output: str) -> None:
    """Validate a spec on the server and show what it would create."""
    from dockyard.cli import apps as impl

    impl.propose(spec_file, app_id, output)


@apps.command("create-deployment")
@app_argument
@click.option("--force-rebuild", is_flag=True, help="Rebuild even if nothing changed.")
@wait_option
@table_options
def apps_create_deployment(app_ref: str, force_rebuild: bool, wait: bool, output: str,
                           fmt: str | None, no_header: bool) -> None:
    """Deploy the app's current spec and the newest commit of its branch."""
    from dockyard.cli import deployments as impl

    impl.create(app_ref, force_rebuild=force_rebuild, wait=wait, output=output, fmt=fmt,
                no_header=no_header)


@apps.command("list-deployments")
@app_argument
@table_options
def apps_list_deployments(app_ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    """List an app's deployments, newest first."""
    from dockyard.cli import deployments as impl

    impl.list_(app_ref, output, fmt, no_header)


@apps.command("get-deployment")
@app_argument
@click.argument("deployment_id", metavar="DEPLOYMENT")
@table_options
def apps_get_deployment(app_ref: str, deployment_id: str, output: str, fmt: str | None,
                        no_header: bool) -> None:
    """Show one deployment with its phase and progress."""
    from dockyard.cli import deployments as impl

    impl.get(app_ref, deployment_id, output, fmt, no_header)


@apps.command("cancel-deployment")
@app_argument
@click.argument("deployment_id", metavar="DEPLOYMENT")
@table_options
def apps_cancel_deployment(app_ref: str, deployment_id: str, output: str, fmt: str | None,
                           no_header: bool) -> None:
    """Cancel a deployment that has not gone live yet."""
    from dockyard.cli import deployments as impl

    impl.cancel(app_ref, deployment_id, output, fmt, no_header)


@apps.command("rollback")
@app_argument
@click.argument("deployment_id", metavar="[DEPLOYMENT]", required=False)
@click.option("--skip-pin", is_flag=True, help="Do not pin the app to the rollback.")
@click.option("--with-data", is_flag=True,
              help="Also restore the databases from the backup taken before later migrations.")
@wait_option
@table_options
def apps_rollback(app_ref: str, deployment_id: str | None, skip_pin: bool, with_data: bool,
                  wait: bool, output: str, fmt: str | None, no_header: bool) -> None:
    """Roll back to a kept release (default: the previous live one), without rebuilding."""
    from dockyard.cli import deployments as impl

    impl.rollback(app_ref, deployment_id, skip_pin=skip_pin, with_data=with_data, wait=wait,
                  output=output, fmt=fmt, no_header=no_header)


@apps.command("rollback-commit")
@app_argument
def apps_rollback_commit(app_ref: str) -> None:
    """Keep the rollback: unpin the app so new deployments are allowed again."""
    from dockyard.cli import deployments as impl

    impl.rollback_commit(app_ref)


@apps.command("rollback-revert")
@app_argument
@wait_option
@table_options
def apps_rollback_revert(app_ref: str, wait: bool, output: str, fmt: str | None,
                         no_header: bool) -> None:
    """Undo the rollback: deploy again what was live before it."""
    from dockyard.cli import deployments as impl

    impl.rollback_revert(app_ref, wait=wait, output=output, fmt=fmt, no_header=no_header)


@apps.command("list-alerts")
@app_argument
@table_options
def apps_list_alerts(app_ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    """List the app's alert rules, their destinations and recent deliveries."""
    from dockyard.cli import alerts as impl

    impl.list_(app_ref, output, fmt, no_header)


@apps.command("update-alert-destinations")
@app_argument
@click.argument("alert_id", metavar="ALERT")
@click.option("--app-alert-destinations", "destinations", required=True, metavar="FILE",
              help='YAML/JSON: {"emails": [...], "slack_webhooks": [{"url", "channel"}]}')
@table_options
def apps_update_alert_destinations(app_ref: str, alert_id: str, destinations: str,
                                   output: str, fmt: str | None, no_header: bool) -> None:
    """Set where an alert is delivered: e-mail addresses and webhook URLs."""
    from dockyard.cli import alerts as impl

    impl.update(app_ref, alert_id, destinations, output, fmt, no_header)


@apps.command("logs")
@app_argument
@click.argument("component", required=False)
@click.option("--type", "kind", type=click.Choice(
    ["build", "deploy", "run", "run_restarted", "autoscale_event"], case_sensitive=False),
    default="run", show_default=True)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.option("--tail", type=int, default=-1,
              help="Only the last N lines (-1: all); with --follow, then new ones.")
@click.option("--deployment", default=None, help="Deployment id (default: the active one).")
@click.option("--no-prefix", is_flag=True, help="Leave out each line's instance name.")
@click.option("--event-id", "event", default=None, help="An event's logs (list-events).")
@click.option("--job-invocation", "invocation", default=None,
              help="One invocation's logs of the scheduled job named as COMPONENT.")
def apps_logs(app_ref: str, component: str | None, kind: str, follow: bool, tail: int,
              deployment: str | None, no_prefix: bool, event: str | None,
              invocation: str | None) -> None:
    """Print an app's build, deploy or run logs (or a job invocation's, or an event's)."""
    from dockyard.cli import deployments as impl

    impl.logs(app_ref, component, kind=kind, follow=follow, tail=tail, deployment=deployment,
              no_prefix=no_prefix, event=event, invocation=invocation)


@spec.command("get")
@app_argument
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)
@click.option("--deployment", default=None, help="The spec a deployment ran.")
def spec_get(app_ref: str, fmt: str, deployment: str | None) -> None:
    """Print an app's spec as stored (YAML keeps your comments)."""
    from dockyard.cli import apps as impl

    impl.spec_get(app_ref, fmt, deployment)


@spec.command("validate")
@click.argument("path", metavar="FILE")
@click.option("--schema-only", is_flag=True,
              help="Check offline only (no server); otherwise the server checks it too.")
@output_option
def spec_validate(path: str, schema_only: bool, output: str) -> None:
    """Validate an App Spec and print it; FILE - reads stdin. Every error is reported with
    file, line and field, and every component that will not deploy; the server's check (as
    `propose`: which buildpack builds each component from its branch head) follows when
    Dockyard runs."""
    from dockyard.cli import apps as impl

    impl.spec_validate(path, output, schema_only)


@apps.command("console", context_settings={"ignore_unknown_options": True})
@app_argument
@click.argument("component")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--instance-name", default=None, help="An instance of the component (web-0).")
@click.option("--deployment", default=None, help="A deployment whose release to use.")
def apps_console(app_ref: str, component: str, command: tuple[str, ...],
                 instance_name: str | None, deployment: str | None) -> None:
    """Run a command (default: a shell) in the live release with its environment, over the
    exec websocket: `dockyard apps console APP web -- python manage.py createsuperuser`."""
    from dockyard.cli import console as impl

    impl.console(app_ref, component, list(command), instance=instance_name,
                 deployment=deployment)
