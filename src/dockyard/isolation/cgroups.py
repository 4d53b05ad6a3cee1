"""Memory, CPU and pids limits per instance (and per build), with cgroups written directly.

cgroup v2 where the machine's unified hierarchy has the ``memory``, ``cpu`` and ``pids``
controllers; else cgroup v1 (one hierarchy per controller, as on these machines: v1
``memory``, ``cpu``, ``cpuacct``, ``pids`` plus a v2 mount with only ``hugetlb``). If neither
is writable, limits are off and ``available()`` says why.

Groups live under ``dockyard/<installation>/<name>`` in each hierarchy. The launcher (root)
creates its instance's group, writes the limits and moves itself in before it starts the app,
so every process of the app is counted; the same group gives the usage figures (CPU seconds,
memory, OOM kills) for metrics.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from dockyard.appspec.sizes import InstanceSize

ROOT = Path("/sys/fs/cgroup")
V1 = ("memory", "cpu", "cpuacct", "pids")
V2_NEEDED = {"memory", "cpu", "pids"}
PERIOD_US = 100_000


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpus: float                 # CPU time per period, in CPUs (1.0 = one core)
    pids: int

    def describe(self) -> str:
        return (f"memory {self.memory_bytes // 2**20} MiB, CPU {self.cpus:g}, "
                f"{self.pids} processes")


    @classmethod
    def for_size(cls, size: InstanceSize) -> Limits:
        """DigitalOcean's size as limits: its memory, its vCPUs as CPU quota, and a pids
        limit that grows with memory (256 for 512 MiB), enough for any worker pool and
        low enough to stop a fork bomb."""
        return cls(memory_bytes=size.memory_bytes, cpus=float(size.cpus),
                   pids=max(256, int(512 * size.memory_gib)))


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    memory_bytes: int
    oom_kills: int


def version(root: Path = ROOT) -> int | None:
    """2 or 1 (which hierarchy Dockyard writes), None when neither can be used."""
    unified = root if (root / "cgroup.controllers").exists() else root / "unified"
    try:
        controllers = set((unified / "cgroup.controllers").read_text().split())
    except OSError:
        controllers = set()
    if V2_NEEDED <= controllers and os.access(unified, os.W_OK):
        return 2
    if all(os.access(root / c, os.W_OK) for c in ("memory", "cpu", "pids")):
        return 1
    return None


def available(root: Path = ROOT) -> tuple[bool, str]:
    found = version(root)
    if found is None:
        return False, (f"no writable cgroup hierarchy with memory, cpu and pids under {root}: "
                       "instance limits are off")
    return True, f"cgroup v{found}"


def installation_id(home: Path) -> str:
    return hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Group:
    """One cgroup (per instance or build): ``dockyard/<installation>/<name>``."""

    installation: str
    name: str
    root: Path = ROOT

    @property
    def relative(self) -> Path:
        return Path("dockyard") / self.installation / self.name

    def dirs(self) -> dict[str, Path]:
        """Controller → directory (one per v1 controller, or the one v2 directory)."""
        if version(self.root) == 2:
            unified = self.root if (self.root / "cgroup.controllers").exists() \
                else self.root / "unified"
            return {"unified": unified / self.relative}
        return {c: self.root / c / self.relative for c in V1}

    def create(self, limits: Limits) -> None:
        dirs = self.dirs()
        if "unified" in dirs:
            self._create_v2(dirs["unified"], limits)
            return
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        write(dirs["memory"] / "memory.limit_in_bytes", limits.memory_bytes)
        with contextlib.suppress(OSError):  # no swap accounting on some kernels
            write(dirs["memory"] / "memory.memsw.limit_in_bytes", limits.memory_bytes)
        write(dirs["cpu"] / "cpu.cfs_period_us", PERIOD_US)
        write(dirs["cpu"] / "cpu.cfs_quota_us", int(limits.cpus * PERIOD_US))
        write(dirs["pids"] / "pids.max", limits.pids)

    def _create_v2(self, path: Path, limits: Limits) -> None:
        for parent in reversed(path.relative_to(self.root).parents):
            if str(parent) != ".":
                enable_controllers(self.root / parent)
        path.mkdir(parents=True, exist_ok=True)
        write(path / "memory.max", limits.memory_bytes)
        with contextlib.suppress(OSError):
            write(path / "memory.swap.max", 0)
        write(path / "cpu.max", f"{int(limits.cpus * PERIOD_US)} {PERIOD_US}")
        write(path / "pids.max", limits.pids)

    def enter(self, pid: int | None = None) -> None:
        """Move ``pid`` (default: this process) into the group; children follow."""
        for path in self.dirs().values():
            write(path / "cgroup.procs", pid or os.getpid())

    def members(self) -> set[int]:
        """Pids in the group now (empty when the group does not exist)."""
        path = next(iter(self.dirs().values())) / "cgroup.procs"
        try:
            return {int(line) for line in path.read_text().split()}
        except OSError:
            return set()

    def usage(self) -> Usage | None:
        dirs = self.dirs()
        try:
            if "unified" in dirs:
                return usage_v2(dirs["unified"])
            return Usage(cpu_seconds=int(read(dirs["cpuacct"] / "cpuacct.usage")) / 1e9,
                         memory_bytes=int(read(dirs["memory"] / "memory.usage_in_bytes")),
                         oom_kills=oom_kills_v1(dirs["memory"]))
        except (OSError, ValueError):
            return None

    def remove(self, wait: float = 1.0) -> bool:
        """Remove the group once it is empty; True when it is gone. A sandbox's init can
        outlive the process we waited for by a few milliseconds, so a busy group is tried
        again for up to ``wait`` seconds; one whose processes live on stays."""
        deadline = time.monotonic() + wait
        while True:
            busy = [path for path in self.dirs().values() if not rmdir(path)]
            if not busy or time.monotonic() >= deadline:
                return not busy
            time.sleep(0.002)


def sweep(installation: str, root: Path = ROOT) -> int:
    """Remove the installation's empty groups, then its own folder (``dockyard down``:
    instances stopped there leave theirs, and a host must not collect thousands of empty
    groups). Groups with processes stay. Returns how many groups were removed."""
    removed: set[str] = set()
    for top in Group(installation, "", root).dirs().values():
        if not top.is_dir():
            continue
        removed |= {child.name for child in top.iterdir() if child.is_dir() and rmdir(child)}
        rmdir(top)
    return len(removed)


def rmdir(path: Path) -> bool:
    """rmdir, True when ``path`` is gone (it may never have existed)."""
    try:
        path.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def usage_v2(path: Path) -> Usage:
    stat = dict(line.split() for line in read(path / "cpu.stat").splitlines())
    events = dict(line.split() for line in read(path / "memory.events").splitlines())
    return Usage(cpu_seconds=int(stat["usage_usec"]) / 1e6,
                 memory_bytes=int(read(path / "memory.current")),
                 oom_kills=int(events.get("oom_kill", 0)))


def oom_kills_v1(path: Path) -> int:
    for line in read(path / "memory.oom_control").splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    return 0


def enable_controllers(path: Path) -> None:
    path.mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        write(path / "cgroup.subtree_control", "+memory +cpu +pids")


def read(path: Path) -> str:
    return path.read_text().strip()


def write(path: Path, value: object) -> None:
    with open(path, "w") as fh:
        fh.write(str(value))
