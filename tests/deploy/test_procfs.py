"""Usage from /proc where cgroup limits are off: a real process tree that burns CPU."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from dockyard.runtime.local.procfs import descendants, tree_usage
from tests.conftest import wait_for

# The grandchild burns 1 s; /proc's utime and stime are sampled at each clock tick, so a
# busy machine can show less than the precise figure: 0.6 s is asked for (the parent alone
# burns ~0.03 s, so it still takes the grandchild to get there).
BURN = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass\n" \
       "time.sleep(30)\n"


def test_a_process_tree_counts_its_children_cpu_and_memory() -> None:
    parent = subprocess.Popen([sys.executable, "-c",
                               f"import subprocess, sys; subprocess.run([sys.executable, "
                               f"'-c', {BURN!r}])"])
    try:
        usage = wait_for(lambda: (u := tree_usage(parent.pid)) and u.cpu_seconds >= 0.6 and u,
                         "the tree to have burnt 0.6 s of CPU", 60, interval=0.1)
        assert len(descendants(parent.pid)) == 2
        assert usage.memory_bytes > 1_000_000
    finally:
        children = descendants(parent.pid) - {parent.pid}
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
    assert tree_usage(parent.pid) is None
