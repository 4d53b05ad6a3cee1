"""Burns about half a CPU: busy for 50 ms, asleep for 50 ms, forever (a CPU_UTILIZATION test)."""

import time

while True:
    end = time.monotonic() + 0.05
    while time.monotonic() < end:
        pass
    time.sleep(0.05)
