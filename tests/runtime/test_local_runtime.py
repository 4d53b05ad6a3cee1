"""``LocalRuntime`` through the ``Runtime`` protocol, with a real supervisord: instances start,
restart, log (secrets masked), stop; jobs and consoles run in fresh copies of the release."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.control import supervisor_env
from dockyard.errors import CommandFailed
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox
from dockyard.runtime import Instance, Launch, State
from dockyard.runtime.local.instances import LocalRuntime
from dockyard.runtime.local.supervisor import Supervisor
from tests.conftest import forget_installation, wait_for

pytestmark = pytest.mark.slow
SECRET = "tiger-lily-secret"


@pytest.fixture(scope="module")
def home() -> Iterator[Home]:
    """A short home (supervisord's socket path is limited) with supervisord running."""
    root = Path(tempfile.mkdtemp(prefix="dyrt-"))
    home = Home(root / "h").ensure()
    sup = Supervisor(home)
    sup.write_config([])
    sup.start(supervisor_env(home))
    yield home
    sup.shutdown()
    forget_installation(home.root)  # the app users and cgroups it made outside the home
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def runtime(home: Home, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRuntime]:
    monkeypatch.setenv("DOCKYARD_HOME", str(home.root))  # jobs' launcher reads the key there
    runtime = LocalRuntime(home)
    yield runtime
    runtime.remove_app("app-test")


def launch(home: Home, release: Path, command: str, **kw: object) -> Launch:
    box = SecretBox(home.secrets_key)
    fields: dict = {"masks": (box.encrypt(SECRET),), "grace_seconds": 2, **kw}  # type: ignore[type-arg]
    return Launch(app_dir=release, command=command,
                  env={"PATH": "/usr/bin:/bin", "GREETING": box.encrypt(SECRET)},
                  sealed=("GREETING",), **fields)


def instance(n: int = 0, component: str = "web") -> Instance:
    return Instance("app-test", "dep-0001", component, n, None)


def test_an_instance_runs_with_its_secrets_decrypted_and_masked_in_its_log(
        home: Home, runtime: LocalRuntime, release: Path):
    inst = instance()
    runtime.start([(inst, launch(home, release,
                                 'echo "greeting is $GREETING"; exec sleep 300'))])
    wait_for(lambda: runtime.state(inst) == State.RUNNING, "the instance to be RUNNING", 20)
    wait_for(lambda: runtime.log_lines(inst, 5), "its first log line")
    assert runtime.log_lines(inst, 5) == ["greeting is ***"]
    launch_file = runtime.instance_dir(inst) / "launch.json"
    assert stat.S_IMODE(launch_file.stat().st_mode) == 0o600
    assert SECRET not in launch_file.read_text()
    assert SECRET not in (home.supervisor / "programs" / f"{inst.program}.conf").read_text()
    assert runtime.restarts(inst) == 0


def test_each_instance_writes_to_its_own_copy_of_the_release(home: Home,
                                                             runtime: LocalRuntime,
                                                             release: Path):
    first, second = instance(0), instance(1)
    cmd = "echo changed > version.txt; exec sleep 300"
    runtime.start([(first, launch(home, release, cmd)), (second, launch(home, release, cmd))])
    for inst in (first, second):
        wait_for(lambda i=inst: (runtime.files(i) / "version.txt").exists(),
                 f"{inst.alias} to write its version.txt", 30)
    files = runtime.files(first)
    assert files != runtime.files(second) and files != release
    assert (files / "version.txt").read_text() == "changed\n"
    assert (release / "version.txt").read_text() == "v1\n"  # the release is never written


def test_a_crashing_instance_is_restarted_with_backoff_and_counted(home: Home,
                                                                   runtime: LocalRuntime,
                                                                   release: Path):
    inst = instance()
    runtime.start([(inst, launch(home, release, "echo crash; exit 3"))])
    wait_for(lambda: runtime.restarts(inst) >= 2, "two restarts", 30)
    # supervisord may see the launcher's backoff wait as RUNNING: the count tells the loop
    lines = runtime.log_lines(inst, 50)
    assert lines.count("crash") >= 2
    assert any("crash backoff" in line for line in lines)


def test_stop_ends_the_program_and_removes_its_files(home: Home, runtime: LocalRuntime,
                                                     release: Path):
    inst = instance()
    runtime.start([(inst, launch(home, release, "exec sleep 300"))])
    wait_for(lambda: runtime.state(inst) == State.RUNNING, "the instance to run", 20)
    pid = Supervisor(home).process_info(inst.program)["pid"]  # type: ignore[index]
    runtime.stop([inst])
    assert runtime.state(inst) == State.UNKNOWN
    assert not runtime.instance_dir(inst).exists()
    assert not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"


def test_a_job_runs_to_its_end_with_its_output_in_the_log(home: Home, runtime: LocalRuntime,
                                                          release: Path, tmp_path: Path):
    log = Log(tmp_path / "deploy.log")
    job = instance(component="migrate")
    runtime.run_job(job, launch(home, release, 'echo "migrating $GREETING"; cat version.txt',
                                kind="job"), log, timeout=30)
    with pytest.raises(CommandFailed) as err:
        runtime.run_job(job, launch(home, release, "echo broken; exit 4", kind="job"), log,
                        timeout=30)
    log.close()
    assert (err.value.code, err.value.message) == ("deploy.job_failed",
                                                   "job 'migrate' exited with status 4")
    assert (tmp_path / "deploy.log").read_text().splitlines() == [
        "       migrating ***", "       v1", "       broken"]
    assert not runtime.instance_dir(job).exists()  # a job's files go when it ends


def test_a_console_is_a_command_line_for_the_users_terminal(home: Home, runtime: LocalRuntime,
                                                            release: Path):
    inst = Instance("app-test", "console-0123456789ab", "web", 0, None)
    argv = runtime.console(inst, launch(home, release, 'echo "hello $GREETING"', masks=(),
                                        kind="console"))
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert out.stdout == f"hello {SECRET}\n"  # the user's own terminal: not masked
    launch_file = json.loads((runtime.instance_dir(inst) / "launch.json").read_text())
    assert launch_file["release"] == str(release) and launch_file["interactive"] is True
    runtime.end_console(inst)
    assert not runtime.instance_dir(inst).exists()


def test_remove_app_stops_every_program_of_the_app(home: Home, runtime: LocalRuntime,
                                                   release: Path):
    web, queue = instance(0), instance(0, "queue")
    runtime.start([(web, launch(home, release, "exec sleep 300")),
                   (queue, launch(home, release, "exec sleep 300"))])
    runtime.remove_app("app-test")
    assert [n for n in Supervisor(home).program_names() if n.startswith("i-app-test")] == []
    assert not home.instances("app-test").exists()
