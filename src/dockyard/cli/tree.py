"""The whole command tree (every command module registered) and the CLI's entry point."""

from __future__ import annotations

import sys

import click

from dockyard.cli import (  # noqa: F401 - each adds its commands to `cli`
    app_commands,
    data_commands,
    job_commands,
    k8s_commands,
    parity_commands,
    service,
)
from dockyard.cli.groups import cli


def run() -> None:
    """Entry point: Dockyard errors become ` !     ` lines on stderr and exit status 1."""
    from dockyard.errors import DockyardError

    try:
        cli.main(prog_name="dockyard", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except DockyardError as exc:
        from dockyard.cli.output import fail

        fail(exc.message, exc.hint)
        sys.exit(1)


