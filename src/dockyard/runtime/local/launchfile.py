"""The launch file: what ``LocalRuntime`` asks the launcher to run, and how.

Written 0600 by the runtime (root), read by the launcher (root) before anything of the app
runs. It holds the command, the environment with the spec's values still encrypted, the
instance's files (the release and the instance's own directory), the sandbox (the app's user
and its mounts) and the cgroup (limits of the instance size).

Two kinds of release: app files under the host's ``/usr`` (a buildpack's; the sandbox of
``isolation.sandbox``, the files at ``/workspace``), or a whole root filesystem (``rootfs``:
a Dockerfile build or an image; the sandbox of ``isolation.rootfs``, the files at ``/``).
Both are the read-only lower layer of the instance's overlay.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockyard.files import UnsafePath, chown_tree, open_path, opened
from dockyard.isolation import cgroups, mounts
from dockyard.isolation.rootfs import RootfsSandbox, drop_privileges
from dockyard.isolation.sandbox import Mount, Sandbox, confine
from dockyard.isolation.users import AppUser

ERR_TRAP = ('trap \'echo "dockyard: command failed with exit status $?: $BASH_COMMAND" >&2\' '
            "ERR\n")
WORKSPACE = "/workspace"        # the app's files inside the sandbox (as on App Platform)
APP_HOME = "/home/app"
ROOTS = Path("/run/dockyard-rootfs")   # an image's root, reachable in the launcher's namespace


@dataclass
class LaunchFile:
    path: Path
    command: str
    env: dict[str, str]
    release: str                                 # the release's app files (lower layer)
    instance: str                                # the instance's own directory
    encrypted: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    record_starts: bool = True
    interactive: bool = False                    # a console: the user's terminal
    files: str = "copy"                          # overlay, copy
    user: dict[str, Any] | None = None           # {"name", "uid", "gid"}: sandboxed
    mounts: list[list[Any]] = field(default_factory=list)   # [source, target, writable]
    cgroup: dict[str, Any] | None = None         # {"installation", "name", "limits", "size"}
    secret_masks: list[str] = field(default_factory=list)   # decrypted at read time
    rootfs: dict[str, Any] | None = None         # {"workdir", "argv", "shell"}: an image's root
    root: str = ""                               # where the launcher made that root reachable

    # -- reading and writing --------------------------------------------------------------
    def write(self) -> None:
        data = {k: v for k, v in asdict(self).items()
                if k not in ("path", "secret_masks", "root")}
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)

    @classmethod
    def read(cls, path: Path) -> LaunchFile:
        """Read the file and decrypt the sealed values (we are still root here)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        launch = cls(path=path, **data)
        if launch.encrypted or launch.masks:
            from dockyard.release.secrets import decrypt_env

            launch.env = decrypt_env(launch.env, launch.encrypted)
            hidden = {f"m{i}": v for i, v in enumerate(launch.masks)}
            launch.secret_masks = list(decrypt_env(hidden, list(hidden)).values())
        return launch

    # -- where things are ------------------------------------------------------------------
    @property
    def dir(self) -> Path:
        return Path(self.instance)

    @property
    def view(self) -> Path:
        """The app's files as the host sees them: the overlay's mount point, or the copy."""
        return self.dir / ("merged" if self.files == "overlay" else "app")

    @property
    def host_cwd(self) -> str:
        return "/" if self.user else str(self.view)

    def sandbox(self, fds: list[int] | None = None) -> Sandbox | None:
        """The instance's sandbox. With ``fds``, the release's other paths (its virtualenv,
        interpreter, node_modules: in the app's own cache, which its builds write) are
        opened without following the app's symlinks and bound as opened; the caller passes
        the descriptors on to bwrap."""
        if not self.user:
            return None
        own = (Mount(str(self.view), WORKSPACE, True), Mount(str(self.dir / "home"), APP_HOME,
                                                             True))
        extra = []
        for source, target, writable in self.mounts:
            fd = None
            if fds is not None:
                fd = open_path(source)
                fds.append(fd)
            extra.append(Mount(str(source), str(target), bool(writable), fd=fd))
        return Sandbox(AppUser(**self.user), (*own, *extra), cwd=WORKSPACE, home=APP_HOME)

    # -- steps of the launcher ----------------------------------------------------------------
    def enter_cgroup(self) -> cgroups.Group | None:
        """Create the instance's cgroup with its limits (after stopping what a killed
        launcher left in it); the child joins it, this process stays outside."""
        if not self.cgroup:
            return None
        group = cgroups.Group(self.cgroup["installation"], self.cgroup["name"])
        try:
            kill_members(group)
            group.create(cgroups.Limits(**self.cgroup["limits"]))
        except OSError as exc:
            print(f"dockyard: limits are off for this start: {exc}", file=sys.stderr)
            return None
        return group

    def oom_kills(self, group: cgroups.Group | None) -> int:
        usage = group.usage() if group else None
        return usage.oom_kills if usage else 0

    def prepare_files(self) -> None:
        """The instance's writable view of the release: an overlay in a mount namespace of
        its own, else a copy. In a sandbox, the release is opened without following a
        symlink its app could have left (the app's user owns it), and used as opened."""
        if self.files == "overlay":
            try:
                mounts.private_namespace()
                with opened(self.release, bool(self.user)) as release:  # in this namespace
                    mounts.overlay(release, self.dir / "upper", self.dir / "work",
                                   self.dir / "merged", nodev=self.rootfs is not None)
                if self.rootfs is not None:
                    self.root = str(mounts.reachable(self.dir / "merged", ROOTS))
                return
            except UnsafePath:
                raise
            except OSError as exc:
                print(f"dockyard: no overlay ({exc}); copying the release instead",
                      file=sys.stderr)
                self.files = "copy"
        if not self.view.exists():
            with opened(self.release, bool(self.user)) as release:
                shutil.copytree(release, self.view, symlinks=True)
            if self.user:
                chown_tree(self.view, int(self.user["uid"]), int(self.user["gid"]))

    def command_line(self) -> tuple[list[str], dict[str, str], tuple[int, ...]]:
        """argv, environment and inherited fds of the child the launcher starts."""
        if self.rootfs is not None:
            return self.rootfs_argv(), self.env, ()
        fds: list[int] = []
        sandbox = self.sandbox(fds)
        if sandbox is None:
            return ["bash", "-c", script(self.command)], self.env, ()
        argv, env, fd = confine(sandbox, self.env, script(self.command))
        return argv, env, (fd, *fds)

    def rootfs_argv(self) -> list[str]:
        """An image's command in its own root: ``command`` through the image's shell (bash
        with the ERR trap, else sh), or else its ENTRYPOINT + CMD as they are."""
        assert self.rootfs is not None
        user = AppUser(**self.user) if self.user else None
        box = RootfsSandbox(self.root or str(self.view), user,
                            cwd=self.rootfs.get("workdir") or "/")
        if not self.command:
            return box.argv(list(self.rootfs["argv"]))
        shell = str(self.rootfs.get("shell") or "/bin/sh")
        body = script(self.command) if shell.endswith("bash") else self.command
        return box.argv([shell, "-c", body])

    def child_setup(self, group: cgroups.Group | None) -> None:
        """In the child, before exec: join the instance's cgroup; in an image's root, also
        become the app's user (bwrap then runs unprivileged, ``isolation.rootfs``)."""
        if group is not None:
            group.enter(os.getpid())
        if self.rootfs is not None and self.user:
            drop_privileges(AppUser(**self.user))

    def wait_until_empty(self, poll: float, group: cgroups.Group | None = None) -> None:
        """Every process the instance started has ended (its cgroup is empty). Checked
        again after 2 ms, 4 ms … up to ``poll``: the sandbox's pid 1 usually ends within
        milliseconds of the app, and a job's deployment waits for this."""
        if group is None:
            return
        pause = min(0.002, poll)
        while group.members():
            time.sleep(pause)
            pause = min(pause * 2, poll)

    def report_oom(self, group: cgroups.Group | None, before: int) -> None:
        if group is not None and self.oom_kills(group) > before and self.cgroup:
            limits = cgroups.Limits(**self.cgroup["limits"])
            print(f"dockyard: out of memory: the kernel killed this instance at its memory "
                  f"limit ({limits.memory_bytes // 2**20} MiB, instance_size_slug "
                  f"{self.cgroup.get('size')})", flush=True)


def script(command: str) -> str:
    """``run_command`` as App Platform's launcher runs it: every line runs, and each line
    that fails is reported with its exit status."""
    return ERR_TRAP + command


def kill_members(group: cgroups.Group) -> None:
    """SIGKILL what is left in the group (a launcher killed with -9 leaves its app)."""
    deadline = time.monotonic() + 10
    while (members := group.members()) and time.monotonic() < deadline:
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
