"""One deployment in a process of its own: ``python -m dockyard.deploy.worker APP DEP``.

The API server's engine starts a worker per deployment, so the build's libraries (pydantic
models, uv, psycopg …) never stay in the long-running server's memory, and a crash in a
deployment cannot take the API down. A worker holds the app's deploy lock while it runs:
if the API server dies (``kill -9``), the worker finishes its deployment, and the restarted
server sees the lock held and leaves that deployment to it.
"""

from __future__ import annotations

import logging
import sys

from dockyard.deploy.services import Services
from dockyard.paths import Home


def retarget_restart(services: Services, app_id: str, dep_id: str) -> None:
    """A restart restarts what is live when it runs (a rollback may have gone live since it
    was asked for), not what was live when it was queued."""
    from dockyard.deploy.phases import Phase

    dep = services.store.get_deployment(app_id, dep_id)
    live = services.store.list_deployments(app_id, phases=(Phase.ACTIVE.value,))
    if dep.options.get("restart") and live and live[0].id != dep.cloned_from:
        services.store.update_deployment(dep, cloned_from=live[0].id,
                                         spec_version=live[0].spec_version)


def main(argv: list[str]) -> int:
    from dockyard.deploy.context import open_context
    from dockyard.deploy.pipeline import Pipeline
    from dockyard.locks import deploy_lock_path, file_lock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app_id, dep_id = argv[1], argv[2]
    home = Home.default()
    services = Services.from_home(home)
    try:
        with file_lock(deploy_lock_path(home, app_id)):
            retarget_restart(services, app_id, dep_id)
            Pipeline(open_context(services, app_id, dep_id)).run()
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
