"""File locks: one holder at a time across threads and processes; the deploy lock tells a
restarted server that a worker still runs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from dockyard.locks import deploy_lock_held, deploy_lock_path, file_lock
from dockyard.paths import Home


def test_a_second_holder_waits_for_the_first(tmp_path: Path):
    lock = tmp_path / "run" / "x.lock"
    order: list[str] = []
    inside = threading.Event()

    def second() -> None:
        inside.wait()
        with file_lock(lock):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with file_lock(lock):
        order.append("first")
        inside.set()
        thread.join(0.3)  # it cannot get in while we hold the lock
        assert thread.is_alive()
        order.append("first done")
    thread.join(5)
    assert order == ["first", "first done", "second"]


def test_the_deploy_lock_is_seen_from_another_process(tmp_path: Path):
    home = Home(tmp_path / "home")
    assert not deploy_lock_held(home, "app-1")  # never taken: no file at all
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom dockyard.locks import file_lock\n"
         f"with file_lock(__import__('pathlib').Path({str(deploy_lock_path(home, 'app-1'))!r})):"
         "\n    print('held', flush=True)\n    sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert deploy_lock_held(home, "app-1") and not deploy_lock_held(home, "app-2")
    finally:
        holder.communicate("")  # end of stdin: it releases the lock and exits
    assert not deploy_lock_held(home, "app-1")
    assert deploy_lock_path(home, "app-1") == home.root / "run" / "deploy-app-1.lock"
