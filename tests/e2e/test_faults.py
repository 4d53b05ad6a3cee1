"""Faults an operator meets: ``kill -9`` of supervisord, then a deployment.

supervisord's programs outlive it; Dockyard must notice, stop them, start afresh by itself,
tell the truth in ``status`` meanwhile, and the next deployment must serve only the new
release to every request (no orphaned old HAProxy or instance answering).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.e2e.conftest import Platform, commit, deploy_copy, get, new_platform, stop
from tests.e2e.test_isolation import VICTIM

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("faults")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    platform.cli("up")
    repo = deploy_copy(platform, root, VICTIM, "steady")
    yield platform, repo
    stop(platform)


def programs_of(platform: Platform, comm: str) -> list[int]:
    """Pids of processes named ``comm`` started for this installation (by its home)."""
    home = str(platform.home)
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm and \
                        home in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return 0


def test_a_killed_supervisord_is_replaced_and_nothing_runs_twice(served):  # type: ignore[no-untyped-def]
    platform, repo = served
    url = platform.app("steady")["live_url"]
    old = platform.status["supervisord_pid"]
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: (platform.status["supervisord_pid"] or old) != old
             and platform.status["running"]["api"], "a new supervisord and API", 90)
    wait_for(lambda: get(url, "/")[0] == 200, "the app to serve again", 60)
    new = platform.status["supervisord_pid"]
    haproxies = programs_of(platform, "haproxy")
    assert [pid for pid in haproxies if parent(pid) == new] != []
    assert [pid for pid in haproxies if parent(pid) not in (new, *haproxies)] == [], \
        "an haproxy of the killed supervisord still runs"
    sha = commit(repo, {"version.txt": "after-the-crash\n"})
    assert sha
    platform.cli("apps", "create-deployment", "steady", "--wait")
    bodies = {get(url, "/")[1].split(b" ", 1)[0] for _ in range(40)}
    assert bodies == {b"version=after-the-crash"}, bodies
    status = platform.status
    assert status["running"]["supervisord"] and status["leftovers"] == []
