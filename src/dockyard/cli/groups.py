"""The command tree's roots and the options many commands share (doctl's global flags).

Command modules (``main``, ``data_commands``) add their commands to these groups; nothing
here imports them, so the tree has no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def output_option(f: F) -> F:
    return click.option("--output", "-o", type=click.Choice(["text", "json"]), default="text",
                        show_default=True, help="Output format.")(f)


def table_options(f: F) -> F:
    f = click.option("--no-header", is_flag=True, help="Leave out the header row.")(f)
    f = click.option("--format", "fmt", default=None,
                     help="Columns to show, e.g. ID,Spec.Name,DefaultIngress.")(f)
    return output_option(f)


def spec_option(f: F) -> F:
    return click.option("--spec", "spec_file", required=True, metavar="FILE",
                        help="App Spec (YAML or JSON); - reads stdin.")(f)


def wait_option(f: F) -> F:
    return click.option("--wait", is_flag=True, help="Wait for the deployment to finish.")(f)


app_argument = click.argument("app_ref", metavar="APP")

APPS_ALIASES = {
    "c": "create", "g": "get", "ls": "list", "u": "update", "d": "delete", "rm": "delete",
    "r": "restart", "cd": "create-deployment", "gd": "get-deployment",
    "lsd": "list-deployments", "lsji": "list-job-invocations", "gji": "get-job-invocation",
    "cji": "cancel-job-invocation", "lse": "list-events", "ge": "get-event",
    "ce": "cancel-event", "l": "logs", "cs": "console", "i": "list-instances", "p": "propose",
    "la": "list-alerts", "uad": "update-alert-destinations",
}
"""doctl's short names for the ``apps`` verbs (``doctl apps ls``)."""


class AliasGroup(click.Group):
    """A group that also answers to doctl's aliases of its commands (never listed)."""

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = aliases or {}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        _name, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd else None), cmd, rest


@click.group(cls=AliasGroup, aliases={"app": "apps", "a": "apps"},
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dockyard")
def cli() -> None:
    """Dockyard: run DigitalOcean App Platform apps on a machine you own."""


@cli.group(cls=AliasGroup, aliases=APPS_ALIASES)
def apps() -> None:
    """Create, deploy and manage apps (doctl apps; also `app` or `a`). doctl's short names
    work too: ls, g, c, u, rm, r, cd, gd, lsd, lse, ge, ce, l, cs, i, p, la, uad."""


@apps.group()
def spec() -> None:
    """Get and validate App Specs."""
