"""One unprivileged system user (and group) per app, in a uid range Dockyard owns.

Builds, jobs, instances and consoles of an app run as its user; the release and instance
files belong to it. Users are made with ``useradd`` (so ``id``, ``whoami`` and libpq's user
lookup work inside the sandbox) and removed with ``userdel`` when the app is deleted. The
GECOS field names the installation, so the users an installation made can be found again. The
group has the user's id as its gid, inside the same range.
"""

from __future__ import annotations

import grp
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError

UID_FIRST = 200_000          # Dockyard's range: far above login users and Debian's system range
UID_LAST = 299_999
PREFIX = "dky-"
NOLOGIN = "/usr/sbin/nologin"


@dataclass(frozen=True)
class AppUser:
    name: str
    uid: int
    gid: int


def user_name(app_id: str) -> str:
    """``dky-`` and 12 hex digits of the app id: unique, stable, under 32 characters."""
    return PREFIX + app_id.replace("-", "")[:12]


def comment(home: Path, app_name: str) -> str:
    return f"Dockyard app {app_name} ({home})"


def find(app_id: str) -> AppUser | None:
    try:
        entry = pwd.getpwnam(user_name(app_id))
    except KeyError:
        return None
    return AppUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def ensure(app_id: str, app_name: str, home: Path) -> AppUser:
    """The app's user, made on first use (safe against another installation racing us)."""
    for _attempt in range(20):
        found = find(app_id)
        if found:
            return found
        uid = next_free_uid()
        name = user_name(app_id)
        group = run(["groupadd", "--system", "--gid", str(uid), name])
        if group.returncode not in (0, 4, 9):  # 4: gid taken, 9: name taken (a race)
            raise failure(app_name, group)
        res = run(["useradd", "--system", "--uid", str(uid), "--gid", name, "--no-create-home",
                   "--home-dir", "/nonexistent", "--shell", NOLOGIN, "--comment",
                   comment(home, app_name), name])
        if res.returncode not in (0, 4, 9):  # 4: uid taken, 9: name taken (a race)
            raise failure(app_name, res)
    raise DockyardError(f"could not find a free uid for app {app_name} in "
                        f"{UID_FIRST}-{UID_LAST}", code="isolation.user_failed")


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def failure(app_name: str, res: subprocess.CompletedProcess[str]) -> DockyardError:
    return DockyardError(f"could not create the user of app {app_name}: {res.stderr.strip()}",
                         code="isolation.user_failed",
                         hint="Dockyard must run as root to isolate apps.")


def next_free_uid() -> int:
    taken = {entry.pw_uid for entry in pwd.getpwall()} | {g.gr_gid for g in grp.getgrall()}
    for uid in range(UID_FIRST, UID_LAST + 1):
        if uid not in taken:
            return uid
    raise DockyardError(f"every uid in {UID_FIRST}-{UID_LAST} is taken",
                        code="isolation.user_failed")


def remove(app_id: str) -> None:
    """Delete the app's user and group (its files are removed with the app)."""
    if find(app_id) is None:
        return
    run(["userdel", user_name(app_id)])
    run(["groupdel", user_name(app_id)])


def of_installation(home: Path) -> list[str]:
    """Names of the users this installation made (for clean-up of a test installation)."""
    suffix = f"({home})"
    return [e.pw_name for e in pwd.getpwall()
            if e.pw_name.startswith(PREFIX) and e.pw_gecos.endswith(suffix)]
