"""``proc.run``: argv lists, output streamed into a log with secrets masked, typed failures,
timeouts that stop the whole process group."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dockyard.errors import CommandFailed
from dockyard.logs import Log
from dockyard.proc import base_env, capture, run
from tests.conftest import wait_for


@pytest.fixture
def log(tmp_path: Path):  # type: ignore[no-untyped-def]
    log = Log(tmp_path / "run.log", secrets=["hunter2"])
    yield log
    log.close()


def text(log: Log) -> str:
    assert log.path is not None
    return log.path.read_text()


def test_output_is_indented_masked_and_returned(log: Log):
    lines = run(["bash", "-c", "echo one; echo password=hunter2 >&2"], log=log)
    assert lines == ["one", "password=hunter2"]
    assert text(log) == "       one\n       password=***\n"


def test_a_failure_names_what_failed_with_the_masked_tail(log: Log):
    with pytest.raises(CommandFailed) as err:
        run(["bash", "-c", "for i in $(seq 40); do echo line $i; done; echo hunter2; exit 3"],
            log=log, code="build.command_failed", what="build_command")
    assert (err.value.code, err.value.returncode) == ("build.command_failed", 3)
    assert err.value.message == "build_command exited with status 3"
    assert len(err.value.tail) == 30 and err.value.tail[-1] == "***"
    assert err.value.tail[0] == "line 12"


def test_a_timeout_stops_the_command_and_what_it_started(log: Log, tmp_path: Path):
    pid_file = tmp_path / "grandchild.pid"
    began = time.monotonic()
    with pytest.raises(CommandFailed) as err:
        run(["bash", "-c", f"sleep 30 & echo $! > {pid_file}; wait"], log=log, timeout=0.5,
            what="migrate")
    assert time.monotonic() - began < 10
    assert err.value.message == "migrate did not finish within 0.5 s and was stopped"
    grandchild = int(pid_file.read_text())
    wait_for(lambda: not running(grandchild), f"the backgrounded sleep {grandchild} to die")


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan stays one until init reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_env_replaces_the_environment_entirely(log: Log, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_TOKEN", "dky_secret")
    lines = run(["/usr/bin/env"], log=log, env={"ONLY": "this"})
    assert lines == ["ONLY=this"]


def test_cwd_is_where_the_command_runs(log: Log, tmp_path: Path):
    assert run(["pwd"], log=log, cwd=tmp_path) == [str(tmp_path)]


def test_capture_returns_stdout_and_raises_with_stderr():
    assert capture(["bash", "-c", "echo out; echo err >&2"]) == "out\n"
    with pytest.raises(CommandFailed) as err:
        capture(["git", "rev-parse", "--verify", "no-such-ref"], cwd="/")
    assert err.value.message.startswith("git rev-parse failed: ")
    assert err.value.returncode != 0 and err.value.tail


def test_base_env_keeps_only_what_children_need(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_TOKEN", "dky_secret")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/tmp/gitconfig")
    env = base_env()
    assert "DOCKYARD_TOKEN" not in env and env["GIT_CONFIG_GLOBAL"] == "/tmp/gitconfig"
    assert set(env) <= {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME",
                        "SSL_CERT_FILE", "GIT_SSH_COMMAND", "GIT_CONFIG_GLOBAL",
                        "XDG_CONFIG_HOME", "UV_CACHE_DIR", "UV_INDEX_URL", "UV_DEFAULT_INDEX",
                        "PIP_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT", "REQUESTS_CA_BUNDLE"}
