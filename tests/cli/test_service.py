"""``dockyard service install|uninstall``: the unit passes ``systemd-analyze verify`` and is
enabled the way systemctl does it; ``dockyard status`` says so. (No systemd runs here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dockyard.paths import Home
from dockyard.service import render_unit

DOCKYARD = str(Path(sys.executable).parent / "dockyard")


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([DOCKYARD, *args], capture_output=True, text=True,
                          env={**os.environ, "DOCKYARD_HOME": str(home)},
                          stdin=subprocess.DEVNULL, timeout=120)


def test_install_writes_a_verified_enabled_unit_and_uninstall_removes_it(tmp_path: Path):
    units = tmp_path / "etc" / "systemd" / "system"
    home = tmp_path / "home"
    result = run(home, "service", "install", "--unit-dir", str(units))
    assert result.returncode == 0, result.stderr
    assert "systemd-analyze verify" in result.stdout
    unit = (units / "dockyard.service").read_text()
    assert f"ExecStart={DOCKYARD} up" in unit and f"ExecStop={DOCKYARD} down" in unit
    assert f"Environment=DOCKYARD_HOME={home}" in unit
    assert f"PIDFile={home}/supervisor/supervisord.pid" in unit
    link = units / "multi-user.target.wants" / "dockyard.service"
    assert link.is_symlink() and link.resolve() == units / "dockyard.service"
    check = subprocess.run(["systemd-analyze", "verify", str(units / "dockyard.service")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    result = run(home, "service", "uninstall", "--unit-dir", str(units))
    assert result.returncode == 0, result.stderr
    assert not (units / "dockyard.service").exists() and not link.exists()


def test_a_unit_systemd_rejects_is_not_installed(tmp_path: Path):
    from dockyard.errors import DockyardError
    from dockyard.service import verify

    bad = tmp_path / "dockyard.service"
    bad.write_text(render_unit("/nonexistent/dockyard", Home(tmp_path)))
    try:
        verify(bad)
    except DockyardError as exc:
        assert "/nonexistent/dockyard" in exc.message
    else:
        raise AssertionError("systemd-analyze accepted a missing ExecStart")


def test_paths_with_spaces_are_quoted(tmp_path: Path):
    text = render_unit("/opt/my tools/dockyard", Home(tmp_path / "a b"))
    assert 'ExecStart="/opt/my tools/dockyard" up' in text
    assert f'Environment="DOCKYARD_HOME={tmp_path}/a b"' in text


def test_up_refuses_public_mode_without_a_domain_and_changes_nothing(tmp_path: Path):
    home = tmp_path / "home"
    result = run(home, "up", "--public", "--email", "ops@example.com")
    assert result.returncode == 1
    assert "--domain apps.example.com" in result.stderr
    assert '"public": false' in (home / "config.json").read_text()
    assert not (home / "supervisor" / "supervisord.pid").exists()
    result = run(home, "up", "--public", "--domain", "apps.example.com", "--https-port", "0")
    assert result.returncode == 1 and "https_port is '0'" in result.stderr
