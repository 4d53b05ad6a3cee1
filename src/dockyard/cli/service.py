"""``dockyard service install|uninstall``: start Dockyard when the machine boots (systemd)."""

from __future__ import annotations

from pathlib import Path

import click

from dockyard.cli.groups import cli

unit_dir_option = click.option(
    "--unit-dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("/etc/systemd/system"), show_default=True,
    help="Where the unit goes (another root, e.g. for an image being built).")


@cli.group()
def service() -> None:
    """A systemd unit that brings Dockyard and every app back after a reboot."""


@service.command("install")
@unit_dir_option
def service_install(unit_dir: Path) -> None:
    """Write dockyard.service, check it with systemd-analyze verify, and enable it."""
    from dockyard import service as impl
    from dockyard.paths import Home

    state = impl.install(Home.default(), unit_dir)
    print(f"-----> Installed and enabled {state['unit']} (checked with systemd-analyze verify)")
    print("       Dockyard and every app start when the machine boots.")
    if not impl.systemd_running():
        print("       systemd is not running here: the unit takes effect on the next boot.")


@service.command("uninstall")
@unit_dir_option
def service_uninstall(unit_dir: Path) -> None:
    """Disable and remove the unit (Dockyard keeps running until `dockyard down`)."""
    from dockyard import service as impl

    state = impl.uninstall(unit_dir)
    print(f"-----> Removed {state['unit']}; Dockyard will not start at boot")
