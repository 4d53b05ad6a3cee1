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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dockyard")
def cli() -> None:
    """Dockyard: run DigitalOcean App Platform apps on a machine you own."""


@cli.group()
def apps() -> None:
    """Create, deploy and manage apps (doctl apps)."""


@apps.group()
def spec() -> None:
    """Get and validate App Specs."""
