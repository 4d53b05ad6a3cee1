"""Usage of a process tree read from a /proc-shaped folder: which processes belong to the
tree, and what their CPU ticks and resident pages add up to (``proc`` is a parameter)."""

from __future__ import annotations

from pathlib import Path

from dockyard.runtime.local.procfs import PAGE, TICKS, descendants, stat_fields, tree_usage


def stat_line(pid: int, comm: str, ppid: int, utime: int = 0, stime: int = 0,
              rss: int = 0) -> str:
    """A /proc/<pid>/stat line (fields 1-24 as proc(5) numbers them)."""
    after = ["S", str(ppid), str(pid), str(pid), "0", "-1", "4194304", "0", "0", "0", "0",
             str(utime), str(stime), "0", "0", "20", "0", "1", "0", "100", "1000", str(rss)]
    return f"{pid} ({comm}) " + " ".join(after) + " 0 0\n"


def fake_proc(tmp_path: Path, *procs: tuple[int, str, int, int, int, int]) -> Path:
    root = tmp_path / "proc"
    root.mkdir()
    (root / "self").mkdir()                      # not a pid: ignored
    (root / "meminfo").write_text("MemTotal: 1 kB\n")
    for pid, comm, ppid, utime, stime, rss in procs:
        (root / str(pid)).mkdir()
        (root / str(pid) / "stat").write_text(stat_line(pid, comm, ppid, utime, stime, rss))
    return root


def test_a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields(tmp_path: Path):
    proc = fake_proc(tmp_path, (10, "gunicorn: worker (app) x", 1, 7, 3, 99))
    fields = stat_fields(10, proc)
    assert fields is not None
    assert (fields[0], fields[1], fields[11], fields[12], fields[21]) == ("S", "1", "7", "3",
                                                                          "99")


def test_the_tree_is_the_root_and_everything_below_it_and_nothing_beside(tmp_path: Path):
    proc = fake_proc(tmp_path,
                     (1, "init", 0, 0, 0, 0),
                     (100, "launcher", 1, 0, 0, 0),
                     (101, "gunicorn", 100, 0, 0, 0),
                     (102, "worker", 101, 0, 0, 0),
                     (103, "worker", 101, 0, 0, 0),
                     (200, "other app", 1, 0, 0, 0))
    assert descendants(100, proc) == {100, 101, 102, 103}
    assert descendants(102, proc) == {102}
    assert descendants(1, proc) == {1, 100, 101, 102, 103, 200}


def test_usage_adds_user_and_system_time_and_resident_pages(tmp_path: Path):
    proc = fake_proc(tmp_path,
                     (100, "launcher", 1, TICKS, 0, 10),
                     (101, "app", 100, 2 * TICKS, TICKS, 100),
                     (300, "stranger", 1, 50 * TICKS, 0, 5000))
    usage = tree_usage(100, proc)
    assert usage is not None
    assert usage.cpu_seconds == 4.0                 # 1 + 2 + 1 seconds of ticks
    assert usage.memory_bytes == 110 * PAGE and usage.oom_kills == 0


def test_a_tree_that_is_gone_has_no_usage(tmp_path: Path):
    proc = fake_proc(tmp_path, (1, "init", 0, 0, 0, 0))
    assert tree_usage(4242, proc) is None and stat_fields(4242, proc) is None
