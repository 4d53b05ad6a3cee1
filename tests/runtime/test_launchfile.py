"""The launch file the runtime writes and the launcher reads: 0600, sealed values decrypted
only when read, the instance's files (a copy where no overlay can be mounted), the command
line with App Platform's per-line error report, and the out-of-memory message."""

from __future__ import annotations

import io
import json
import stat
import subprocess
from pathlib import Path

import pytest

from dockyard.isolation.cgroups import Group, Limits
from dockyard.release.secrets import SecretBox
from dockyard.runtime.local.launch import KEEP_STARTS, pump, record_start, restarts
from dockyard.runtime.local.launchfile import ERR_TRAP, LaunchFile, script


def launch_file(tmp_path: Path, **changes: object) -> LaunchFile:
    release = tmp_path / "release"
    release.mkdir(exist_ok=True)
    (release / "app.py").write_text("print('hi')\n")
    (tmp_path / "instance").mkdir(exist_ok=True)
    fields: dict[str, object] = dict(
        path=tmp_path / "instance" / "launch.json", command="python app.py",
        env={"PATH": "/usr/bin:/bin", "PORT": "8080"}, release=str(release),
        instance=str(tmp_path / "instance"), files="copy")
    fields.update(changes)
    return LaunchFile(**fields)  # type: ignore[arg-type]


def test_the_file_is_private_and_reads_back_as_written(tmp_path: Path):
    launch = launch_file(tmp_path, cgroup={"installation": "abc", "name": "web-0",
                                           "limits": {"memory_bytes": 1, "cpus": 1.0,
                                                      "pids": 256}, "size": "basic-xxs"})
    launch.write()
    assert stat.S_IMODE(launch.path.stat().st_mode) == 0o600
    data = json.loads(launch.path.read_text())
    assert "path" not in data and "secret_masks" not in data
    again = LaunchFile.read(launch.path)
    assert again == launch


def test_sealed_values_are_decrypted_only_when_the_launcher_reads_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "home"
    box = SecretBox(home / "secrets.key")
    monkeypatch.setenv("DOCKYARD_HOME", str(home))
    token = box.encrypt("s3cret-value")
    launch = launch_file(tmp_path, env={"TOKEN": token, "PLAIN": "x"}, encrypted=["TOKEN"],
                         masks=[box.encrypt("s3cret-value")])
    launch.write()
    assert "s3cret-value" not in launch.path.read_text()       # sealed on disk
    read = LaunchFile.read(launch.path)
    assert read.env == {"TOKEN": "s3cret-value", "PLAIN": "x"}
    assert read.secret_masks == ["s3cret-value"]


def test_without_an_overlay_the_instance_works_in_a_copy_made_once(tmp_path: Path):
    launch = launch_file(tmp_path)
    launch.prepare_files()
    assert launch.view == tmp_path / "instance" / "app"
    assert (launch.view / "app.py").read_text() == "print('hi')\n"
    (launch.view / "app.py").write_text("changed by the instance")
    launch.prepare_files()                                        # a restart keeps its writes
    assert (launch.view / "app.py").read_text() == "changed by the instance"
    assert (tmp_path / "release" / "app.py").read_text() == "print('hi')\n"


def test_the_command_runs_every_line_and_reports_each_failing_one(tmp_path: Path):
    assert script("a\nb") == ERR_TRAP + "a\nb"
    launch = launch_file(tmp_path, command="echo one\nfalse\necho two")
    argv, env, fds = launch.command_line()
    assert argv[:2] == ["bash", "-c"] and env is launch.env and fds == ()
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10)
    assert res.stdout == "one\ntwo\n"
    assert res.stderr == "dockyard: command failed with exit status 1: false\n"


def test_a_sandboxed_instance_passes_its_environment_on_a_descriptor(tmp_path: Path):
    import os

    launch = launch_file(tmp_path, user={"name": "dky-x", "uid": 200_500, "gid": 200_500},
                         env={"PATH": "/usr/bin", "API_KEY": "k-123456"})
    argv, env, fds = launch.command_line()
    try:
        assert len(fds) == 1 and "k-123456" not in " ".join(argv) and "API_KEY" not in env
        assert os.read(fds[0], 4096).decode().count("export API_KEY=k-123456") == 1
        assert launch.host_cwd == "/"                             # bwrap chdirs inside
    finally:
        os.close(fds[0])


def test_no_cgroup_means_no_limits_and_nothing_to_wait_for(tmp_path: Path):
    launch = launch_file(tmp_path)
    assert launch.enter_cgroup() is None and launch.oom_kills(None) == 0
    launch.wait_until_empty(0.01, None)
    launch.child_setup(None)


def v1_group(tmp_path: Path) -> Group:
    root = tmp_path / "cgroup"
    for controller in ("memory", "cpu", "cpuacct", "pids"):
        (root / controller).mkdir(parents=True)
    group = Group("abc", "web-0", root=root)
    group.create(Limits(512 * 2**20, 1.0, 256))
    return group


def test_an_oom_kill_is_reported_with_the_limit_and_the_size(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]):
    group = v1_group(tmp_path)
    oom = group.dirs()["memory"] / "memory.oom_control"
    oom.write_text("oom_kill 0\n")
    launch = launch_file(tmp_path, cgroup={"installation": "abc", "name": "web-0", "size":
                                           "basic-xxs", "limits": {"memory_bytes": 512 * 2**20,
                                                                   "cpus": 1.0, "pids": 256}})
    (group.dirs()["cpuacct"] / "cpuacct.usage").write_text("0")
    (group.dirs()["memory"] / "memory.usage_in_bytes").write_text("0")
    before = launch.oom_kills(group)
    launch.report_oom(group, before)
    assert capsys.readouterr().out == ""                         # no kill: nothing said
    oom.write_text("oom_kill 1\n")
    launch.report_oom(group, before)
    assert capsys.readouterr().out == (
        "dockyard: out of memory: the kernel killed this instance at its memory limit "
        "(512 MiB, instance_size_slug basic-xxs)\n")


def test_pump_masks_secrets_longest_first_and_ignores_tiny_ones(
        capsysbinary: pytest.CaptureFixture[bytes]):
    source = io.BytesIO(b"token=abcdef-long ab\nplain abcdef\n")
    pump(source, ["abcdef", "abcdef-long", "ab"])
    assert capsysbinary.readouterr().out == b"token=*** ab\nplain ***\n"


def test_a_start_is_recorded_and_only_the_last_starts_are_kept(tmp_path: Path):
    state = tmp_path / "restarts.json"
    record_start(state)                                           # first start: no wait
    assert json.loads(state.read_text())["count"] == 1 and restarts(state) == 0
    old = [float(t) for t in range(0, 60 * (KEEP_STARTS + 50), 60)]   # a minute apart
    state.write_text(json.dumps({"starts": old}))
    record_start(state)
    kept = json.loads(state.read_text())
    assert kept["count"] == KEEP_STARTS == len(kept["starts"])
    assert kept["starts"][-2] == old[-1]                          # the newest survive
    assert not list(tmp_path.glob("*.tmp"))                       # replaced atomically


def test_an_unreadable_restart_record_counts_as_none(tmp_path: Path):
    state = tmp_path / "restarts.json"
    state.write_text("{not json")
    assert restarts(state) == 0
    record_start(state)                                           # and is started over
    assert json.loads(state.read_text())["count"] == 1
