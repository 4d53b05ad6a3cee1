"""One deployment in a process of its own: ``python -m dockyard.deploy.worker APP DEP``.

The API server's engine starts a worker per deployment, so the build's libraries (pydantic
models, uv, psycopg …) never stay in the long-running server's memory, and a crash in a
deployment cannot take the API down. A worker holds the app's deploy lock while it runs:
if the API server dies (``kill -9``), the worker finishes its deployment, and the restarted
server sees the lock held and leaves that deployment to it.
"""

from __future__ import annotations

import fcntl
import logging
import sys
from pathlib import Path

from dockyard.paths import Home


def lock_path(home: Home, app_id: str) -> Path:
    return home.run / f"deploy-{app_id}.lock"


def lock_held(home: Home, app_id: str) -> bool:
    """Is a worker deploying this app right now (from this or an earlier API server)?"""
    path = lock_path(home, app_id)
    if not path.exists():
        return False
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def main(argv: list[str]) -> int:
    from dockyard.deploy.pipeline import Pipeline
    from dockyard.deploy.platform import Platform
    from dockyard.locks import file_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app_id, dep_id = argv[1], argv[2]
    home = Home.default()
    platform = Platform.from_home(home)
    try:
        with file_lock(lock_path(home, app_id)):
            Pipeline(platform, app_id, dep_id).run()
    finally:
        platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
