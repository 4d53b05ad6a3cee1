"""Where the router keeps its files, and the only way they are written.

Config and state files are never written in place (docs/conventions.md §6): the text goes to a
temp file beside the target, the config is checked by the program that will read it (``haproxy -c``,
``nginx -t``), and only then renamed over the old file. A rejected config leaves the old
file untouched and raises ``DockyardError`` with the checker's own message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError
from dockyard.router.model import ident

PUBLIC_SITES = Path("/var/lib/dockyard/sites")
SAFE_PATH = re.compile(r"^[A-Za-z0-9._/+@=~ -]+$")
MAX_SOCKET_PATH = 107  # sun_path is 108 bytes with the terminating NUL
SOCKETS = {"haproxy.sock": MAX_SOCKET_PATH, "requests.sock": 97,
           "haproxy-master.sock": MAX_SOCKET_PATH}
"""The router's unix sockets (runtime API, request log, master CLI) and the longest path
each may have: HAProxy takes only 97 characters for a ``log`` target."""


def socket_too_long(paths: dict[Path, int]) -> tuple[Path, int] | None:
    """The socket path furthest over its limit, with the limit; None when all fit."""
    path, limit = max(paths.items(), key=lambda item: len(str(item[0])) - item[1])
    return (path, limit) if len(str(path)) > limit else None


@dataclass(frozen=True)
class Layout:
    """Every path under the router's home (``Home(...).router``)."""

    home: Path

    def __post_init__(self) -> None:
        text = str(self.home)
        if not self.home.is_absolute() or not SAFE_PATH.fullmatch(text):
            raise DockyardError(f"router home {text!r} must be an absolute path made of "
                                "letters, digits, spaces and ._/+@=~-",
                                code="router.bad_home",
                                hint="Set DOCKYARD_HOME to a plain path.")
        over = socket_too_long({self.home / name: limit for name, limit in SOCKETS.items()})
        if over:
            raise DockyardError(f"router home {text!r} is too long for unix sockets "
                                f"({len(str(over[0]))} > {over[1]} bytes)",
                                code="router.bad_home", hint="Use a shorter DOCKYARD_HOME.")

    @property
    def haproxy_cfg(self) -> Path:
        return self.home / "haproxy.cfg"

    @property
    def haproxy_pid(self) -> Path:
        return self.home / "haproxy.pid"

    @property
    def stats_socket(self) -> Path:
        return self.home / "haproxy.sock"

    @property
    def request_log(self) -> Path:
        """The datagram socket HAProxy sends one line per request to (latency metrics)."""
        return self.home / "requests.sock"

    @property
    def master_socket(self) -> Path:
        return self.home / "haproxy-master.sock"

    @property
    def nginx_conf(self) -> Path:
        return self.home / "nginx.conf"

    @property
    def nginx_pid(self) -> Path:
        return self.home / "nginx.pid"

    @property
    def nginx_prefix(self) -> Path:
        return self.home / "nginx"

    @property
    def nginx_tmp(self) -> Path:
        return self.home / "nginx" / "tmp"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def nginx_error_log(self) -> Path:
        return self.home / "logs" / "nginx-error.log"

    @property
    def nginx_access_log(self) -> Path:
        return self.home / "logs" / "nginx-access.log"

    @property
    def state(self) -> Path:
        return self.home / "state.json"

    @property
    def sites(self) -> Path:
        """Published static sites. As root, outside the home (whose parents, such as /root,
        nginx's unprivileged workers cannot enter): one folder per installation."""
        if os.geteuid() == 0:
            digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
            return PUBLIC_SITES / digest
        return self.home / "sites"

    @property
    def lock(self) -> Path:
        return self.home / "router.lock"

    def site_dir(self, app_id: str, component: str) -> Path:
        return self.sites / ident(app_id) / ident(component)

    def site_root(self, app_id: str, component: str) -> Path:
        """nginx's document root for a site: a symlink to the published release."""
        return self.site_dir(app_id, component) / "current"

    def prepare(self) -> None:
        """Create the directories haproxy and nginx expect (mode 0700: sockets live here)."""
        for path in (self.home, self.logs, self.nginx_tmp, self.sites):
            path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        os.chmod(self.sites, 0o755)


def binary(name: str) -> str:
    """The program's path; /usr/sbin is not on a non-root user's PATH on Debian."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise DockyardError(f"{name} is not installed", code="router.missing_program",
                            hint=f"Install it with `apt-get install {name}`.")
    return found


def haproxy_check_argv(cfg: Path) -> list[str]:
    return [binary("haproxy"), "-c", "-f", str(cfg)]


def nginx_check_argv(conf: Path, layout: Layout) -> list[str]:
    return [binary("nginx"), "-t", "-q", "-p", f"{layout.nginx_prefix}/",
            "-e", str(layout.nginx_error_log), "-c", str(conf)]


def check_config(argv: list[str], what: str) -> None:
    """Run a config checker; raise ``DockyardError`` carrying its message when it refuses."""
    res = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=60)
    if res.returncode != 0:
        lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.strip()]
        detail = "\n".join(ln for ln in lines if "NOTICE" not in ln) or f"rc={res.returncode}"
        raise DockyardError(f"{what} rejected the generated configuration:\n{detail}",
                            code="router.invalid_config",
                            hint="The previous configuration is still in place.")


def stage(path: Path, text: str, check: Callable[[Path], None] | None = None) -> Path | None:
    """Write ``text`` to a temp file beside ``path`` and check it; None when unchanged.

    The caller renames the temp file over ``path`` (``os.replace``) or deletes it.
    """
    if path.exists() and path.read_text() == text:
        return None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if check is not None:
            check(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def install(path: Path, text: str, check: Callable[[Path], None] | None = None) -> bool:
    """Atomically replace ``path`` with ``text`` once ``check(tmp)`` passes; True if changed."""
    tmp = stage(path, text, check)
    if tmp is not None:
        os.replace(tmp, path)
    return tmp is not None


def save_json(path: Path, data: Any) -> None:
    install(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise DockyardError(f"{path} is not valid JSON ({exc})", code="router.bad_state",
                            hint="Restore it from a backup or remove it and redeploy.") from exc


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer at a time across threads and processes (``flock`` on its own open file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
