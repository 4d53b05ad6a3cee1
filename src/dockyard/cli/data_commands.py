"""``dockyard tokens …`` and ``dockyard databases …``: credentials and data."""

from __future__ import annotations

import click

from dockyard.cli.groups import app_argument, cli, output_option, table_options


@cli.group()
def tokens() -> None:
    """Manage API tokens."""


@cli.group()
def databases() -> None:
    """Back up and restore app databases; register external clusters."""


@databases.group()
def clusters() -> None:
    """External PostgreSQL clusters for `production: true` databases (`cluster_name`)."""


# -- tokens -------------------------------------------------------------------------------
@tokens.command("create")
@click.argument("name")
@click.option("--read-only", is_flag=True, help="The token can read but not change anything.")
@output_option
def tokens_create(name: str, read_only: bool, output: str) -> None:
    """Create a named API token and print it once."""
    from dockyard.cli import tokens as impl

    impl.create(name, read_only, output)


@tokens.command("list")
@table_options
def tokens_list(output: str, fmt: str | None, no_header: bool) -> None:
    """List API tokens (names only: values are never shown again)."""
    from dockyard.cli import tokens as impl

    impl.list_(output, fmt, no_header)


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Revoke an API token."""
    from dockyard.cli import tokens as impl

    impl.revoke(name)


@databases.command("backup")
@app_argument
@click.argument("database", metavar="DB")
@output_option
def databases_backup(app_ref: str, database: str, output: str) -> None:
    """Back up an app's database now (pg_dump)."""
    from dockyard.cli import databases as impl

    impl.backup(app_ref, database, output)


@databases.command("restore")
@app_argument
@click.argument("database", metavar="DB")
@click.argument("backup", required=False)
def databases_restore(app_ref: str, database: str, backup: str | None) -> None:
    """Restore an app's database from a backup (default: the newest)."""
    from dockyard.cli import databases as impl

    impl.restore(app_ref, database, backup)


@databases.command("backups")
@app_argument
@table_options
def databases_backups(app_ref: str, output: str, fmt: str | None, no_header: bool) -> None:
    """List an app's database backups with size and time, newest first."""
    from dockyard.cli import databases as impl

    impl.backups(app_ref, output, fmt, no_header)


@clusters.command("add")
@click.argument("name")
@click.option("--url", required=True,
              help="postgres://USER:PASSWORD@HOST:PORT/DATABASE, or - to read it from stdin "
                   "(keeps the password out of `ps` and your shell history)")
def clusters_add(name: str, url: str) -> None:
    """Register an external PostgreSQL cluster (its URL is stored encrypted)."""
    import sys

    from dockyard.cli import databases as impl

    impl.clusters_add(name, sys.stdin.readline().strip() if url == "-" else url)


@clusters.command("list")
@table_options
def clusters_list(output: str, fmt: str | None, no_header: bool) -> None:
    """List external clusters (passwords hidden)."""
    from dockyard.cli import databases as impl

    impl.clusters_list(output, fmt, no_header)


@clusters.command("remove")
@click.argument("name")
def clusters_remove(name: str) -> None:
    """Forget an external cluster."""
    from dockyard.cli import databases as impl

    impl.clusters_remove(name)
