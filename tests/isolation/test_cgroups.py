"""Limits per instance size, and cgroup v1/v2 files written into a directory tree shaped like
``/sys/fs/cgroup`` (``Group(root=...)``): the same writes the launcher makes as root."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from dockyard.appspec.sizes import BY_SLUG, SIZES
from dockyard.isolation.cgroups import (
    Group,
    Limits,
    Usage,
    available,
    installation_id,
    sweep,
    version,
)

MIB, GIB = 2**20, 2**30


def v1_root(tmp_path: Path) -> Path:
    """cgroup v1 as on these machines: one hierarchy per controller, a v2 mount beside them
    with only ``hugetlb``."""
    root = tmp_path / "cgroup"
    for controller in ("memory", "cpu", "cpuacct", "pids", "unified"):
        (root / controller).mkdir(parents=True)
    (root / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    return root


def v2_root(tmp_path: Path) -> Path:
    root = tmp_path / "cgroup2"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma\n")
    return root


def test_each_current_size_gets_the_memory_and_cpus_its_slug_names():
    current = [s for s in SIZES if s.slug.startswith("apps-")]
    assert len(current) >= 10
    for size in current:
        cpus, gb = re.fullmatch(r"apps-[sd]-(\d+)vcpu-([\d.]+)gb(-fixed)?", size.slug).groups()[:2]
        limits = Limits.for_size(size)
        assert limits.memory_bytes == int(float(gb) * GIB), size.slug
        assert limits.cpus == float(cpus), size.slug


def test_the_smallest_size_gets_512_mib_one_cpu_and_256_processes():
    limits = Limits.for_size(BY_SLUG["apps-s-1vcpu-0.5gb"])
    assert (limits.memory_bytes, limits.cpus, limits.pids) == (512 * MIB, 1.0, 256)
    assert limits.describe() == "memory 512 MiB, CPU 1, 256 processes"
    assert Limits.for_size(BY_SLUG["basic-xxs"]) == limits     # the legacy name, same size


def test_the_pids_limit_grows_with_memory_and_never_drops_below_256():
    by_memory = sorted(SIZES, key=lambda s: s.memory_gib)
    pids = [Limits.for_size(s).pids for s in by_memory]
    assert pids == sorted(pids) and min(pids) == 256
    assert Limits.for_size(BY_SLUG["apps-d-8vcpu-32gb"]).pids > 10 * 256


def test_version_1_is_used_when_the_unified_mount_lacks_the_controllers(tmp_path: Path):
    root = v1_root(tmp_path)
    assert version(root) == 1 and available(root) == (True, "cgroup v1")


def test_version_2_is_used_when_the_unified_hierarchy_has_them(tmp_path: Path):
    assert version(v2_root(tmp_path)) == 2
    hybrid = v1_root(tmp_path / "hybrid")
    (hybrid / "unified" / "cgroup.controllers").write_text("memory cpu pids\n")
    assert version(hybrid) == 2


def test_without_a_usable_hierarchy_limits_are_off_and_say_where_they_looked(tmp_path: Path):
    empty = tmp_path / "none"
    empty.mkdir()
    assert version(empty) is None
    ok, why = available(empty)
    assert not ok and str(empty) in why and "limits are off" in why
    only_memory = tmp_path / "partial"
    (only_memory / "memory").mkdir(parents=True)
    assert version(only_memory) is None


def test_a_v1_group_gets_one_directory_per_controller_with_its_limits(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "i-app-web-dep-0", root=root)
    group.create(Limits(memory_bytes=1 * GIB, cpus=2.0, pids=512))
    rel = Path("dockyard/abc123/i-app-web-dep-0")
    assert group.dirs() == {c: root / c / rel for c in ("memory", "cpu", "cpuacct", "pids")}
    memory, cpu = root / "memory" / rel, root / "cpu" / rel
    assert (memory / "memory.limit_in_bytes").read_text() == str(GIB)
    assert (memory / "memory.memsw.limit_in_bytes").read_text() == str(GIB)  # no swap on top
    assert (cpu / "cpu.cfs_period_us").read_text() == "100000"
    assert (cpu / "cpu.cfs_quota_us").read_text() == "200000"               # two CPUs
    assert (root / "pids" / rel / "pids.max").read_text() == "512"


def test_a_v2_group_enables_the_controllers_on_the_way_down(tmp_path: Path):
    root = v2_root(tmp_path)
    group = Group("abc123", "build-web", root=root)
    group.create(Limits(memory_bytes=512 * MIB, cpus=0.5, pids=256))
    path = root / "dockyard" / "abc123" / "build-web"
    assert group.dirs() == {"unified": path}
    for parent in (root / "dockyard", root / "dockyard" / "abc123"):
        assert (parent / "cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    assert (path / "memory.max").read_text() == str(512 * MIB)
    assert (path / "memory.swap.max").read_text() == "0"
    assert (path / "cpu.max").read_text() == "50000 100000"                  # half a CPU
    assert (path / "pids.max").read_text() == "256"


def test_entering_writes_the_pid_to_every_hierarchy_and_members_reads_it(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "web-0", root=root)
    assert group.members() == set()                  # no group yet: nobody in it
    group.create(Limits(GIB, 1.0, 256))
    group.enter(4242)
    for path in group.dirs().values():
        assert (path / "cgroup.procs").read_text() == "4242"
    (group.dirs()["memory"] / "cgroup.procs").write_text("4242\n4243\n")
    assert group.members() == {4242, 4243}


def test_v1_usage_reads_cpu_nanoseconds_memory_and_oom_kills(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "web-0", root=root)
    group.create(Limits(GIB, 1.0, 256))
    dirs = group.dirs()
    (dirs["cpuacct"] / "cpuacct.usage").write_text("2500000000\n")
    (dirs["memory"] / "memory.usage_in_bytes").write_text(f"{300 * MIB}\n")
    (dirs["memory"] / "memory.oom_control").write_text(
        "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    assert group.usage() == Usage(cpu_seconds=2.5, memory_bytes=300 * MIB, oom_kills=3)
    (dirs["memory"] / "memory.oom_control").write_text("oom_kill_disable 0\n")  # old kernel
    assert group.usage() == Usage(2.5, 300 * MIB, 0)


def test_v2_usage_reads_cpu_stat_memory_current_and_events(tmp_path: Path):
    root = v2_root(tmp_path)
    group = Group("abc123", "web-0", root=root)
    group.create(Limits(GIB, 1.0, 256))
    path = group.dirs()["unified"]
    (path / "cpu.stat").write_text("usage_usec 1250000\nuser_usec 1000000\n"
                                   "system_usec 250000\n")
    (path / "memory.current").write_text("1048576\n")
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n")
    assert group.usage() == Usage(cpu_seconds=1.25, memory_bytes=MIB, oom_kills=1)


def test_usage_of_a_group_that_is_gone_or_unreadable_is_none(tmp_path: Path):
    root = v2_root(tmp_path)
    assert Group("abc123", "never-made", root=root).usage() is None
    group = Group("abc123", "web-0", root=root)
    group.create(Limits(GIB, 1.0, 256))
    (group.dirs()["unified"] / "cpu.stat").write_text("usage_usec not-a-number\n")
    (group.dirs()["unified"] / "memory.current").write_text("1\n")
    (group.dirs()["unified"] / "memory.events").write_text("oom_kill 0\n")
    assert group.usage() is None


def test_remove_drops_empty_groups_and_ignores_missing_ones(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "web-0", root=root)
    for path in group.dirs().values():
        path.mkdir(parents=True)
    (group.dirs()["pids"]).rmdir()                  # one hierarchy never had it
    group.remove()
    assert not any(p.exists() for p in group.dirs().values())
    group.remove()                                   # twice is fine


class Member:
    """Stands for a process still in the group, in every hierarchy: rmdir of a directory with
    a file in it fails, as rmdir of a cgroup with a member does."""

    def __init__(self, group: Group) -> None:
        self.files = [path / "member" for path in group.dirs().values()]
        for file in self.files:
            file.write_text("1")

    def unlink(self) -> None:
        for file in self.files:
            file.unlink()


def busy(group: Group) -> Member:
    return Member(group)


def test_remove_waits_for_a_group_whose_last_process_is_still_ending(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "build-1-web", root=root)
    for path in group.dirs().values():
        path.mkdir(parents=True)
    member = busy(group)
    threading.Timer(0.15, member.unlink).start()    # the sandbox's init, ending late
    assert group.remove(wait=2.0)
    assert not any(p.exists() for p in group.dirs().values())


def test_remove_gives_up_on_a_group_whose_processes_live_on(tmp_path: Path):
    root = v1_root(tmp_path)
    group = Group("abc123", "web-0", root=root)
    for path in group.dirs().values():
        path.mkdir(parents=True)
    busy(group)
    assert not group.remove(wait=0.05)
    assert group.dirs()["memory"].exists()


def test_sweep_removes_an_installations_empty_groups_and_keeps_busy_ones(tmp_path: Path):
    root = v1_root(tmp_path)
    mine = [Group("abc123", name, root=root) for name in ("web-0", "build-1-web", "job-0")]
    other = Group("def456", "web-0", root=root)
    for group in [*mine, other]:
        for path in group.dirs().values():
            path.mkdir(parents=True)
    member = busy(mine[2])
    assert sweep("abc123", root) == 2
    assert [g.dirs()["cpu"].exists() for g in mine] == [False, False, True]
    assert (root / "cpu" / "dockyard" / "abc123").exists()    # a busy group keeps its folder
    member.unlink()
    assert sweep("abc123", root) == 1
    assert not (root / "cpu" / "dockyard" / "abc123").exists()
    assert other.dirs()["cpu"].exists()                          # never another's
    assert sweep("abc123", root) == 0                            # nothing left: fine


@pytest.mark.parametrize("same", [True, False])
def test_an_installation_id_is_short_stable_and_per_home(tmp_path: Path, same: bool):
    home = tmp_path / "home"
    home.mkdir()
    link = tmp_path / "link"
    link.symlink_to(home)
    first = installation_id(home)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    other = link if same else tmp_path
    assert (installation_id(other) == first) is same
