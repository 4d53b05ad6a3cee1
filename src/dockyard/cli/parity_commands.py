"""doctl's other ``apps`` verbs: restart, instances, regions, instance sizes and tiers,
events, buildpacks (doctl's flags; bodies import their work lazily)."""

from __future__ import annotations

import click

from dockyard.cli.groups import AliasGroup, app_argument, apps, table_options, wait_option


@apps.command("restart")
@app_argument
@click.option("--components", multiple=True, metavar="NAMES",
              help="Components to restart (comma-separated or repeated; default: all). "
                   "Dockyard restarts the whole release, with these names checked; on a "
                   "cluster only these (a rollout restart each).")
@wait_option
@table_options
def apps_restart(app_ref: str, components: tuple[str, ...], wait: bool, output: str,
                 fmt: str | None, no_header: bool) -> None:
    """Restart an app: new instances of the live release, through the health gate."""
    from dockyard.cli import deployments as impl

    impl.restart(app_ref, components, wait=wait, output=output, fmt=fmt, no_header=no_header)


@apps.command("list-instances")
@app_argument
@table_options
def apps_list_instances(app_ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    """List the instances of the app's live release."""
    from dockyard.cli import catalog

    catalog.instances(app_ref, output, fmt, no_header)


@apps.command("list-regions")
@table_options
def apps_list_regions(output: str, fmt: str | None, no_header: bool) -> None:
    """List regions: this machine (local) and DigitalOcean's, which are recorded only."""
    from dockyard.cli import catalog

    catalog.regions(output, fmt, no_header)


@apps.group("tier", cls=AliasGroup, aliases={"is": "instance-size", "ls": "list", "g": "get"})
def tier() -> None:
    """Instance sizes (and the deprecated tiers)."""


@tier.group("instance-size", cls=AliasGroup, aliases={"ls": "list", "g": "get"})
def instance_size() -> None:
    """DigitalOcean's instance sizes, with their bandwidth allowance and tier path."""


@instance_size.command("list")
@table_options
def instance_size_list(output: str, fmt: str | None, no_header: bool) -> None:
    """List instance sizes."""
    from dockyard.cli import catalog

    catalog.sizes(None, output, fmt, no_header)


@instance_size.command("get")
@click.argument("slug")
@table_options
def instance_size_get(slug: str, output: str, fmt: str | None, no_header: bool) -> None:
    """Show one instance size."""
    from dockyard.cli import catalog

    catalog.sizes(slug, output, fmt, no_header)


@tier.command("list", hidden=True)
@table_options
def tier_list(output: str, fmt: str | None, no_header: bool) -> None:
    """List the deprecated app tiers."""
    from dockyard.cli import catalog

    catalog.tiers(None, output, fmt, no_header)


@tier.command("get", hidden=True)
@click.argument("slug")
@table_options
def tier_get(slug: str, output: str, fmt: str | None, no_header: bool) -> None:
    """Show one deprecated app tier."""
    from dockyard.cli import catalog

    catalog.tiers(slug, output, fmt, no_header)


@apps.command("list-events")
@app_argument
@click.option("--event-type", "types", multiple=True, metavar="TYPES",
              help="DEPLOYMENT or AUTOSCALING (comma-separated or repeated).")
@table_options
def apps_list_events(app_ref: str, types: tuple[str, ...], output: str, fmt: str | None,
                     no_header: bool) -> None:
    """List the app's events: one per deployment, newest first."""
    from dockyard.cli import events

    events.list_(app_ref, types, output, fmt, no_header)


@apps.command("get-event")
@app_argument
@click.argument("event_id", metavar="EVENT")
@table_options
def apps_get_event(app_ref: str, event_id: str, output: str, fmt: str | None,
                   no_header: bool) -> None:
    """Show one event."""
    from dockyard.cli import events

    events.get(app_ref, event_id, output, fmt, no_header)


@apps.command("cancel-event")
@app_argument
@click.argument("event_id", metavar="EVENT")
@table_options
def apps_cancel_event(app_ref: str, event_id: str, output: str, fmt: str | None,
                      no_header: bool) -> None:
    """Cancel an event's deployment that has not gone live yet."""
    from dockyard.cli import events

    events.cancel(app_ref, event_id, output, fmt, no_header)


@apps.command("list-buildpacks")
@table_options
def apps_list_buildpacks(output: str, fmt: str | None, no_header: bool) -> None:
    """List Dockyard's buildpacks."""
    from dockyard.cli import catalog

    catalog.buildpacks(output, fmt, no_header)


@apps.command("upgrade-buildpack")
@app_argument
@click.option("--buildpack", required=True, metavar="ID",
              help="The buildpack's id, e.g. dockyard/python (list-buildpacks).")
@click.option("--major-version", type=int, default=0, show_default=True,
              help="The major version to upgrade to (0: the latest).")
@click.option("--trigger-deployment", type=click.BOOL, default=True, is_flag=False,
              flag_value=True, show_default=True, metavar="[true|false]",
              help="Start a deployment that rebuilds the components "
                   "(--trigger-deployment=false: only say which).")
@table_options
def apps_upgrade_buildpack(app_ref: str, buildpack: str, major_version: int,
                           trigger_deployment: bool, output: str, fmt: str | None,
                           no_header: bool) -> None:
    """Rebuild, from scratch, every component the live release built with a buildpack."""
    from dockyard.cli import deployments as impl

    impl.upgrade_buildpack(app_ref, buildpack, major_version, trigger_deployment,
                           output=output, fmt=fmt, no_header=no_header)
