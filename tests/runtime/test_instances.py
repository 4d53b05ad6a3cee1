"""``LocalRuntime``'s own work, without supervisord: each instance's folder and 0600 launch
file (environment, limits of its size, the files mode), where its logs and writes are, which
programs are the app's, and a job run to its end through the real launcher."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from pathlib import Path

import pytest

from dockyard.appspec.sizes import BY_SLUG, DEFAULT_SLUG
from dockyard.entrypoints import LAUNCHER
from dockyard.errors import DockyardError
from dockyard.isolation import Isolation, users
from dockyard.isolation.cgroups import Limits, installation_id
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.runtime import Instance, Launch
from dockyard.runtime.local.instances import LocalRuntime
from tests.conftest import forget_installation

OFF = Isolation(False, False, "off for this test", "off for this test")
LIMITS_ONLY = Isolation(False, True, "no sandbox in this test", "cgroup v1")
APP = "3f2a9c1e-aaaa-4bbb-8ccc-123456789abc"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home").ensure()


def web(n: int = 0, component: str = "web", deployment: str = "dep-00000001") -> Instance:
    return Instance(APP, deployment, component, n, 8080 + n)


def launch(release: Path, **changes: object) -> Launch:
    fields: dict[str, object] = dict(app_dir=release, command="cat version.txt",
                                     env={"PATH": "/usr/bin:/bin", "PORT": "8080"})
    fields.update(changes)
    return Launch(**fields)  # type: ignore[arg-type]


def prepared(runtime: LocalRuntime, inst: Instance, launch: Launch) -> dict[str, object]:
    """The launch file a console would start with (``console`` only prepares it)."""
    argv = runtime.console(inst, launch)
    path = Path(argv[-1])
    assert argv[-3:-1] == ["-m", LAUNCHER] and path.name == "launch.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return json.loads(path.read_text())


def test_an_unsandboxed_instance_gets_its_own_home_and_runtime_dir(home: Home, release: Path):
    runtime = LocalRuntime(home, OFF)
    inst = web()
    data = prepared(runtime, inst, launch(release, kind="console"))
    folder = home.instances(APP) / "dep-00000001" / "web-0"
    assert data["instance"] == str(folder) and data["release"] == str(release)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    env = data["env"]
    assert isinstance(env, dict)
    assert env["HOME"] == str(folder / "home") and env["PORT"] == "8080"
    assert env["XDG_RUNTIME_DIR"] == str(runtime.runtime_dir(inst))
    assert len(env["XDG_RUNTIME_DIR"]) < 60                 # room for a unix socket name
    assert data["interactive"] is True and data["record_starts"] is False
    assert data["user"] is None and data["cgroup"] is None
    assert data["files"] == ("overlay" if os.geteuid() == 0 else "copy")
    runtime.end_console(inst)
    assert not folder.exists() and not runtime.runtime_dir(inst).exists()
    assert not folder.parent.exists()                       # the deployment's folder too


def test_sealed_values_and_masks_stay_encrypted_in_the_file(home: Home, release: Path):
    runtime = LocalRuntime(home, OFF)
    data = prepared(runtime, web(), launch(release, env={"TOKEN": "gAAAA-sealed"},
                                           sealed=("TOKEN",), masks=("gAAAA-mask",),
                                           mounts=("/opt/venv",)))
    assert data["encrypted"] == ["TOKEN"] and data["masks"] == ["gAAAA-mask"]
    assert data["mounts"] == [["/opt/venv", "/opt/venv", False]]   # read-only, same path


@pytest.mark.parametrize("slug", [None, "apps-d-2vcpu-4gb", "basic-xs"])
def test_with_limits_the_file_carries_the_limits_of_the_instance_size(home: Home, release: Path,
                                                                      slug: str | None):
    runtime = LocalRuntime(home, LIMITS_ONLY)
    inst = web()
    data = prepared(runtime, inst, launch(release, size=slug))
    size = BY_SLUG[slug or DEFAULT_SLUG]
    assert data["cgroup"] == {"installation": installation_id(home.root), "name": inst.program,
                              "limits": {"memory_bytes": size.memory_bytes,
                                         "cpus": float(size.cpus),
                                         "pids": Limits.for_size(size).pids},
                              "size": slug or DEFAULT_SLUG}
    runtime.end_console(inst)


def test_two_instances_and_two_deployments_never_share_a_folder(home: Home, release: Path):
    runtime = LocalRuntime(home, OFF)
    folders = {runtime.instance_dir(i) for i in (web(0), web(1), web(0, "worker"),
                                                 web(0, deployment="dep-00000002"))}
    assert len(folders) == 4
    assert len({runtime.runtime_dir(i) for i in (web(0), web(1))}) == 2
    assert runtime.log_path(web(1)) == home.logs(APP) / "dep-00000001" / "run-web-1.log"


def test_the_log_tail_and_a_missing_log(home: Home):
    runtime = LocalRuntime(home, OFF)
    assert runtime.log_lines(web(), 10) == []
    path = runtime.log_path(web())
    path.parent.mkdir(parents=True)
    path.write_text("".join(f"line {n}\n" for n in range(50)))
    assert runtime.log_lines(web(), 3) == ["line 47", "line 48", "line 49"]


def test_files_are_the_overlays_writes_or_else_the_copy(home: Home):
    runtime = LocalRuntime(home, OFF)
    folder = runtime.instance_dir(web())
    (folder / "upper").mkdir(parents=True)
    assert runtime.files(web()) == folder / "upper"         # nothing written, no copy
    (folder / "app").mkdir()
    assert runtime.files(web()) == folder / "app"           # the copy holds everything
    (folder / "upper" / "uploaded.txt").write_text("x")
    assert runtime.files(web()) == folder / "upper"


def test_restarts_are_read_from_the_instance_record(home: Home):
    runtime = LocalRuntime(home, OFF)
    assert runtime.restarts(web()) == 0
    folder = runtime.instance_dir(web())
    folder.mkdir(parents=True)
    (folder / "restarts.json").write_text(json.dumps({"starts": [10.0, 20.0, 30.0]}))
    assert runtime.restarts(web()) == 2 and runtime.restarts(web(), since=25.0) == 1


def test_running_lists_only_this_apps_programs(home: Home):
    runtime = LocalRuntime(home, OFF)
    programs = home.supervisor / "programs"
    programs.mkdir(parents=True)
    mine = [web(0).program, web(1).program]
    other = Instance("99999999-other", "dep-1", "web", 0, None).program
    for name in [*mine, other, "dockyard-api"]:
        (programs / f"{name}.conf").write_text("")
    assert runtime.running(APP) == set(mine)


def test_a_job_runs_to_its_end_and_its_files_go(home: Home, release: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_HOME", str(home.root))
    runtime = LocalRuntime(home, OFF)
    job = Instance(APP, "dep-00000001", "migrate", 0, None)
    log = Log(home.root / "job.log")
    try:
        runtime.run_job(job, launch(release, kind="job", command="cat version.txt; echo done"),
                        log, timeout=60)
        text = (home.root / "job.log").read_text()
        assert "v1" in text and "done" in text
        assert not runtime.instance_dir(job).exists()
        with pytest.raises(DockyardError) as err:
            runtime.run_job(job, launch(release, kind="job", command="exit 3"), log, timeout=60)
    finally:
        log.close()
    assert err.value.code == "deploy.job_failed" and "migrate" in err.value.message
    assert not runtime.instance_dir(job).exists()


SANDBOX = Isolation(True, False, "each app as its own user", "no limits in this test")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                    reason="a sandboxed instance needs root to make the app's user")
def test_a_sandboxed_instance_belongs_to_the_apps_user_and_sees_its_own_home(
        home: Home, release: Path):
    runtime = LocalRuntime(home, SANDBOX)
    app_id = str(uuid.uuid4())                             # a user of its own, per run
    inst = Instance(app_id, "dep-00000001", "web", 0, 8080)
    try:
        data = prepared(runtime, inst, launch(release, labels={"app": "shop"}))
        user = users.find(app_id)
        assert user is not None and data["user"] == {"name": user.name, "uid": user.uid,
                                                     "gid": user.gid}
        env = data["env"]
        assert isinstance(env, dict)
        assert (env["HOME"], env["XDG_RUNTIME_DIR"]) == ("/home/app", "/tmp")  # its own
        folder = runtime.instance_dir(inst)
        for own in ("home", "upper"):
            assert (folder / own).stat().st_uid == user.uid
        assert folder.stat().st_uid == 0                   # the launch file's folder: root's
        assert (release / "version.txt").stat().st_uid == user.uid  # handed over once
        assert users.of_installation(home.root) == [user.name]
        runtime.end_console(inst)
        runtime.remove_app(app_id)                         # no programs: files and user go
        assert users.find(app_id) is None and not home.instances(app_id).exists()
    finally:
        forget_installation(home.root)
