"""``dockyard service install|uninstall``: a systemd unit, so Dockyard and every app come
back when the machine boots.

The unit runs ``dockyard up`` (``Type=forking``: supervisord daemonizes, and systemd follows
its pid file) and ``dockyard down`` to stop. supervisord then starts the API server, HAProxy,
nginx, PostgreSQL and every app instance as before the reboot (all state is on disk). The unit
is checked with ``systemd-analyze verify`` before it is enabled. Without a running systemd
(containers, chroots) it is enabled the way ``systemctl enable`` does it offline: a link in
``multi-user.target.wants``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError
from dockyard.paths import Home

UNIT = "dockyard.service"
UNIT_DIR = Path("/etc/systemd/system")
WANTS = "multi-user.target.wants"


def executable() -> str:
    """This installation's ``dockyard`` command (beside the running interpreter)."""
    found = Path(sys.executable).parent / "dockyard"
    return str(found) if found.exists() else (shutil.which("dockyard") or str(found))


def _quote(value: str) -> str:
    """systemd's quoting for one word of a command line or an ``Environment=`` entry."""
    if not any(c in value for c in ' "\\\'$%'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def render_unit(command: str, home: Home, user: str | None = None) -> str:
    """The unit file's text (pure, so tests can read it without systemd)."""
    exe = _quote(command)
    lines = [
        "# Written by `dockyard service install`; `dockyard service uninstall` removes it.",
        "[Unit]",
        "Description=Dockyard: App Platform apps on this machine (API, router, apps)",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=forking",
        f"Environment={_quote('DOCKYARD_HOME=' + str(home.root))}",
        f"ExecStart={exe} up",
        f"ExecReload={exe} up",
        f"ExecStop={exe} down",
        f"PIDFile={_quote(str(home.supervisor / 'supervisord.pid'))}",
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStartSec=180",
        "TimeoutStopSec=120",
        "LimitNOFILE=65536",
    ]
    if user:
        lines.append(f"User={user}")
    lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


def systemd_running() -> bool:
    return Path("/run/systemd/system").is_dir()


def verify(path: Path) -> None:
    """``systemd-analyze verify``: the unit parses, its commands exist and are executable."""
    tool = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    if not Path(tool).exists():
        raise DockyardError("systemd-analyze is not installed", code="service.no_systemd",
                            hint="Install Debian's `systemd` package (`make setup` does).")
    res = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)
    if res.returncode != 0:
        raise DockyardError(f"systemd-analyze verify rejected {path}:\n"
                            f"{(res.stderr or res.stdout).strip()}", code="service.invalid_unit")


def install(home: Home, unit_dir: Path = UNIT_DIR) -> dict[str, Any]:
    """Write, verify and enable the unit; Dockyard itself keeps running as it is."""
    user = None if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    path = unit_dir / UNIT
    unit_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=unit_dir, prefix=".dockyard-") as staging:
        tmp = Path(staging) / UNIT  # systemd-analyze wants the real unit name
        tmp.write_text(render_unit(executable(), home, user))
        os.chmod(tmp, 0o644)
        verify(tmp)
        os.replace(tmp, path)
    _enable(path, unit_dir)
    return service_status(unit_dir)


def _enable(path: Path, unit_dir: Path) -> None:
    if systemd_running() and unit_dir == UNIT_DIR:
        for args in (["daemon-reload"], ["enable", UNIT]):
            subprocess.run(["systemctl", *args], check=True, stdin=subprocess.DEVNULL,
                           capture_output=True)
        return
    link = unit_dir / WANTS / UNIT
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(path)


def uninstall(unit_dir: Path = UNIT_DIR) -> dict[str, Any]:
    """Disable and remove the unit; running processes are left alone (`dockyard down`)."""
    path = unit_dir / UNIT
    if systemd_running() and unit_dir == UNIT_DIR and path.exists():
        subprocess.run(["systemctl", "disable", UNIT], stdin=subprocess.DEVNULL,
                       capture_output=True)
    (unit_dir / WANTS / UNIT).unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    if systemd_running() and unit_dir == UNIT_DIR:
        subprocess.run(["systemctl", "daemon-reload"], stdin=subprocess.DEVNULL,
                       capture_output=True)
    return service_status(unit_dir)


def service_status(unit_dir: Path = UNIT_DIR) -> dict[str, Any]:
    path = unit_dir / UNIT
    link = unit_dir / WANTS / UNIT
    return {"unit": str(path), "installed": path.exists(),
            "enabled": link.is_symlink() and link.resolve() == path.resolve()}
