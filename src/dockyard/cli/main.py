"""Command definitions. Bodies import their work lazily so ``dockyard --help`` starts fast."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dockyard.cli.options import AppRef, Format, NoHeader, Output, OutputFormat, SpecFile, Wait

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  pretty_exceptions_enable=False,
                  help="Dockyard: run DigitalOcean App Platform apps on a machine you own.")
apps = typer.Typer(no_args_is_help=True, help="Create, deploy and manage apps (doctl apps).")
spec = typer.Typer(no_args_is_help=True, help="Get and validate App Specs.")
tokens = typer.Typer(no_args_is_help=True, help="Manage API tokens.")
app.add_typer(apps, name="apps")
apps.add_typer(spec, name="spec")
app.add_typer(tokens, name="tokens")


# -- control plane ------------------------------------------------------------------------
@app.command()
def up(output: Output = OutputFormat.text) -> None:
    """Start Dockyard (API server, router, supervisor) in the background; idempotent."""
    from dockyard.cli import control

    control.up(output.value)


@app.command()
def down() -> None:
    """Stop everything Dockyard started (apps keep their URLs for the next `up`)."""
    from dockyard.cli import control

    control.down()


@app.command()
def status(output: Output = OutputFormat.text) -> None:
    """Show the API URL, the CA certificate and which parts are running."""
    from dockyard.cli import control

    control.status(output.value)


# -- tokens -------------------------------------------------------------------------------
@tokens.command("create")
def tokens_create(name: str, read_only: Annotated[bool, typer.Option("--read-only")] = False,
                  output: Output = OutputFormat.text) -> None:
    """Create a named API token and print it once."""
    from dockyard.cli import tokens as impl

    impl.create(name, read_only, output.value)


@tokens.command("list")
def tokens_list(output: Output = OutputFormat.text, format: Format = None,
                no_header: NoHeader = False) -> None:
    """List API tokens (names only; values are never shown again)."""
    from dockyard.cli import tokens as impl

    impl.list_(output.value, format, no_header)


@tokens.command("revoke")
def tokens_revoke(name: str) -> None:
    """Revoke an API token."""
    from dockyard.cli import tokens as impl

    impl.revoke(name)


# -- apps ---------------------------------------------------------------------------------
@apps.command("create")
def apps_create(spec_file: SpecFile, wait: Wait = False,
                upsert: Annotated[bool, typer.Option("--upsert", help="Update the app if one with this name exists.")] = False,
                output: Output = OutputFormat.text, format: Format = None,
                no_header: NoHeader = False) -> None:
    """Create an app from an App Spec and deploy it."""
    from dockyard.cli import apps as impl

    impl.create(spec_file, wait=wait, upsert=upsert, output=output.value, fmt=format,
                no_header=no_header)


@apps.command("list")
def apps_list(output: Output = OutputFormat.text, format: Format = None,
              no_header: NoHeader = False) -> None:
    """List apps."""
    from dockyard.cli import apps as impl

    impl.list_(output.value, format, no_header)


@apps.command("get")
def apps_get(app_ref: AppRef, output: Output = OutputFormat.text, format: Format = None,
             no_header: NoHeader = False) -> None:
    """Show one app."""
    from dockyard.cli import apps as impl

    impl.get(app_ref, output.value, format, no_header)


@apps.command("update")
def apps_update(app_ref: AppRef, spec_file: SpecFile, wait: Wait = False,
                output: Output = OutputFormat.text, format: Format = None,
                no_header: NoHeader = False) -> None:
    """Replace an app's spec and deploy it."""
    from dockyard.cli import apps as impl

    impl.update(app_ref, spec_file, wait=wait, output=output.value, fmt=format,
                no_header=no_header)


@apps.command("delete")
def apps_delete(app_ref: AppRef,
                force: Annotated[bool, typer.Option("--force", "-f", help="Do not ask.")] = False) -> None:
    """Delete an app, its processes and its routes."""
    from dockyard.cli import apps as impl

    impl.delete(app_ref, force)


@apps.command("propose")
def apps_propose(spec_file: SpecFile,
                 app_id: Annotated[str | None, typer.Option("--app", help="Existing app id.")] = None,
                 output: Output = OutputFormat.text) -> None:
    """Validate a spec on the server and show what it would create."""
    from dockyard.cli import apps as impl

    impl.propose(spec_file, app_id, output.value)


@spec.command("get")
def spec_get(app_ref: AppRef,
             format: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml") -> None:
    """Print an app's spec as stored (YAML keeps your comments)."""
    from dockyard.cli import apps as impl

    impl.spec_get(app_ref, format)


@spec.command("validate")
def spec_validate(path: Annotated[str, typer.Argument(help="Spec file, or - for stdin.", metavar="FILE")],
                  output: Output = OutputFormat.text) -> None:
    """Validate an App Spec offline (no server needed) and print it."""
    from dockyard.cli import apps as impl

    impl.spec_validate(path, output.value)


def run() -> None:
    """Entry point: run the command, turn Dockyard errors into ` !     ` lines and exit 1."""
    from dockyard.errors import DockyardError

    try:
        app()
    except DockyardError as exc:
        from dockyard.cli.output import fail

        fail(exc.message, exc.hint)
        sys.exit(1)
