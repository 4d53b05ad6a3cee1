"""Misbehaving workers for the limits test: ``python hogs.py memory|fork|cpu``.

Each waits ``HOG_DELAY`` seconds first (the deployment goes live meanwhile), then:
memory: allocates 64 MiB a step, forever (the kernel must kill it at the size's limit);
fork:   starts processes until it cannot, reports how many, then keeps them alive;
cpu:    spins on every core it can get.
"""

import multiprocessing
import os
import sys
import time


def memory() -> None:
    hoard = []
    while True:
        hoard.append(bytearray(64 * 2**20))
        print(f"holding {len(hoard) * 64} MiB", flush=True)
        time.sleep(0.05)


def fork() -> None:
    children = 0
    while True:
        try:
            pid = os.fork()
        except OSError as exc:
            print(f"fork failed after {children} processes: {exc}", flush=True)
            time.sleep(3600)
        if pid == 0:
            time.sleep(3600)
            os._exit(0)
        children += 1


def spin() -> None:
    while True:
        pass


def cpu() -> None:
    for _ in range(4):
        multiprocessing.Process(target=spin, daemon=True).start()
    spin()


if __name__ == "__main__":
    time.sleep(float(os.environ.get("HOG_DELAY", "10")))
    {"memory": memory, "fork": fork, "cpu": cpu}[sys.argv[1]]()
