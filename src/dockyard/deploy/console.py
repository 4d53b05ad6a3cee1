"""One-off commands in the live release (``dockyard apps console``), e.g. ``createsuperuser``.

The command gets what an instance of the component gets: a fresh writable copy of the active
release, its environment (bindables and databases resolved), but no port and no restarts.
"""

from __future__ import annotations

import re
import shlex
import uuid

from dockyard.deploy.context import DeployContext, open_context
from dockyard.deploy.launches import launch_for
from dockyard.deploy.phases import Phase
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError, NotFound
from dockyard.release.bindings import bindings_for
from dockyard.runtime import Instance
from dockyard.store import App

SESSION = re.compile(r"[0-9a-f]{12}")


def live_context(services: Services, app: App) -> DeployContext:
    active = services.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
    if not active:
        raise DockyardError(f"app {app.name} has no live deployment", code="console.not_live")
    return open_context(services, app.id, active[0].id, deploy_log=False)


def session_instance(app: App, component: str, session: str) -> Instance:
    if not SESSION.fullmatch(session):
        raise NotFound(f"console session {session!r} not found")
    return Instance(app.id, f"console-{session}", component, 0, None)


def prepare(services: Services, app: App, component: str, command: list[str]
            ) -> dict[str, object]:
    """Prepare ``command`` (default: a login shell) and return the command line that runs it
    on the user's terminal."""
    from dockyard.deploy import database_ops

    ctx = live_context(services, app)
    record = ctx.components.get(component)
    if not record or record.app_dir is None:
        runnable = [n for n, r in ctx.components.items() if r.app_dir is not None]
        raise NotFound(f"component {component!r} has no release with app files; try one of: "
                       f"{', '.join(runnable) or 'none'}")
    binds = bindings_for(ctx.spec, app.id, app.port, ctx.live_url,
                         {n: r.commit for n, r in ctx.components.items()})
    binds.databases = {d.name: database_ops.connection_for(services, app, d, i).bindables()
                       for i, d in enumerate(ctx.spec.databases or [])}
    session = uuid.uuid4().hex[:12]
    line = shlex.join(command) if command else "exec bash -l"
    launch = launch_for(ctx, ctx.spec.component(component), binds, port=None, kind="console",
                        command=line)
    argv = services.runtime.console(session_instance(app, component, session), launch)
    return {"id": session, "command": argv}


def remove(services: Services, app: App, component: str, session: str) -> None:
    services.runtime.end_console(session_instance(app, component, session))
