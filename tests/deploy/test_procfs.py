"""Usage from /proc where cgroup limits are off: a real process tree that burns CPU."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from dockyard.runtime.local.procfs import descendants, tree_usage

BURN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n" \
       "time.sleep(30)\n"


def test_a_process_tree_counts_its_children_cpu_and_memory() -> None:
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys; subprocess.run([sys.executable, "
                               f"'-c', {BURN!r}])"])
    try:
        deadline = time.monotonic() + 60
        usage = tree_usage(parent.pid)
        while usage is not None and usage.cpu_seconds < 0.6 and time.monotonic() < deadline:
            time.sleep(0.1)
            usage = tree_usage(parent.pid)
        assert len(descendants(parent.pid)) == 2
        assert usage is not None and usage.cpu_seconds >= 0.6
        assert usage.memory_bytes > 1_000_000
    finally:
        children = descendants(parent.pid) - {parent.pid}
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
    assert tree_usage(parent.pid) is None
