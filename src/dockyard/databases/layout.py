"""Where our PostgreSQL lives on disk, which binaries run it, and as which user.

PostgreSQL refuses to run as root. When Dockyard runs as root, initdb and postgres run as the
``postgres`` system user (created by Debian's package) through ``setpriv``, which execs in
place, so supervisord's pid is the postmaster's own. ``DOCKYARD_HOME`` is mode 0700 (and the
default ``/root/.dockyard`` sits in a 0700 ``/root``), so the postgres user cannot reach
anything inside it: as root the cluster's data and sockets go to a directory of its own under
``/var/lib/dockyard/postgres/``, recorded by the symlink ``DOCKYARD_HOME/postgres/data``. Our
own files (superuser password, app credentials, encrypted) stay in ``DOCKYARD_HOME/postgres``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError
from dockyard.paths import Home

ROOT_STATE_BASE = Path("/var/lib/dockyard/postgres")
DEBIAN_LIBDIR = Path("/usr/lib/postgresql")
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with the trailing NUL
INSTALL_HINT = "Install it with `apt-get install -y postgresql` (Debian/Ubuntu)."


@dataclass(frozen=True)
class RunAs:
    """The OS user that owns the cluster: ourselves, or ``postgres`` when we are root."""

    uid: int | None = None
    gid: int | None = None

    @classmethod
    def detect(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls()
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise DockyardError(
                "PostgreSQL refuses to run as root, and there is no 'postgres' system user "
                "to run it as", code="database.no_postgres_user", hint=INSTALL_HINT) from exc
        return cls(entry.pw_uid, entry.pw_gid)

    @property
    def switches(self) -> bool:
        return self.uid is not None

    def prefix(self) -> list[str]:
        """argv prefix that drops to the postgres user (``setpriv`` execs, keeping the pid)."""
        if self.uid is None:
            return []
        setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        return [setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--"]

    def give(self, path: Path) -> None:
        """Hand a file or directory we created to the cluster's owner."""
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)


@dataclass(frozen=True)
class Layout:
    """``home_dir``: our root-only files; ``state``: the cluster owner's (data, sockets)."""

    home_dir: Path
    state: Path

    @classmethod
    def for_home(cls, home: Home, run_as: RunAs, state_dir: Path | None = None) -> Layout:
        home_dir = home.root / "postgres"
        if state_dir is not None:
            return cls(home_dir, Path(state_dir))
        if not run_as.switches:
            return cls(home_dir, home_dir)
        link = home_dir / "data"
        if link.is_symlink():
            return cls(home_dir, Path(os.readlink(link)).parent)
        digest = hashlib.sha256(str(home.root.resolve()).encode()).hexdigest()[:12]
        return cls(home_dir, ROOT_STATE_BASE / digest)

    @property
    def data(self) -> Path:
        return self.state / "data"

    @property
    def sockets(self) -> Path:
        return self.state / "run"

    @property
    def superuser_secret(self) -> Path:
        return self.home_dir / "superuser.secret"

    @property
    def credentials(self) -> Path:
        return self.home_dir / "credentials"

    def socket_dir_for(self, port: int) -> str:
        """Our socket directory, or "" (TCP only) when the socket path would be too long."""
        path = self.sockets / f".s.PGSQL.{port}"
        return str(self.sockets) if len(str(path).encode()) <= SOCKET_PATH_MAX else ""


def _major(text: str) -> int:
    match = re.match(r"\d+", text)
    return int(match.group()) if match else -1


def find_bindir(data: Path | None = None) -> Path:
    """PostgreSQL's server binaries: ``DOCKYARD_PG_BINDIR``, else Debian's newest version.

    An existing data directory pins the version it was created with (``PG_VERSION``).
    """
    override = os.environ.get("DOCKYARD_PG_BINDIR")
    if override:
        return Path(override)
    found = sorted((p for p in DEBIAN_LIBDIR.glob("*/bin") if (p / "postgres").exists()),
                   key=lambda p: _major(p.parent.name))
    if data is not None and (data / "PG_VERSION").exists():
        wanted = (data / "PG_VERSION").read_text().strip()
        pinned = [p for p in found if p.parent.name == wanted]
        if pinned:
            return pinned[0]
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise DockyardError("PostgreSQL server binaries (initdb, postgres) were not found in "
                        f"{DEBIAN_LIBDIR}/*/bin or on PATH", code="database.postgres_missing",
                        hint=INSTALL_HINT)
