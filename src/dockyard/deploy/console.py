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
from dockyard.release.bindings import Bindings, bindings_for
from dockyard.runtime import Instance
from dockyard.store import App

SESSION = re.compile(r"[0-9a-f]{12}")


def live_context(services: Services, app: App, deployment_id: str | None = None
                 ) -> DeployContext:
    """The context of ``deployment_id`` (its release must still be kept), else of the live
    deployment."""
    if deployment_id:
        dep = services.store.get_deployment(app.id, deployment_id)
        return open_context(services, app.id, dep.id, deploy_log=False)
    active = services.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
    if not active:
        raise DockyardError(f"app {app.name} has no live deployment", code="console.not_live")
    return open_context(services, app.id, active[0].id, deploy_log=False)


def check_instance(ctx: DeployContext, component: str, instance: str | None) -> None:
    """``instance_name`` (a program name or an alias such as ``web-0``) must be one of the
    component's instances in the deployment."""
    if not instance:
        return
    from dockyard.deploy.context import instances_of

    record = ctx.components[component]
    known = [i for i in instances_of(ctx.app.id, ctx.dep.id, record)]
    if not any(instance in (i.program, i.alias) for i in known):
        raise NotFound(f"instance {instance!r} is not an instance of {component!r} in "
                       f"deployment {ctx.dep.id}; its instances: "
                       f"{', '.join(i.alias for i in known) or 'none'}",
                       hint="`dockyard apps list-instances APP` lists them.")


def live_bindings(ctx: DeployContext) -> Bindings:
    """``${APP_URL}``, ``${web.PUBLIC_URL}``, ``${db.DATABASE_URL}`` … for a one-off run
    (a console or a scheduled job) in the deployment of ``ctx``."""
    from dockyard.deploy import database_ops

    binds = bindings_for(ctx.spec, ctx.app.id, ctx.app.port, ctx.live_url,
                         {n: r.commit for n, r in ctx.components.items()})
    binds.databases = {}
    for i, d in enumerate(ctx.spec.databases or []):
        conn = database_ops.connection_for(ctx.services, ctx.app, d, i)
        ctx.mask([conn.password, conn.url])
        binds.databases[d.name] = conn.bindables()
    return binds


def session_instance(app: App, component: str, session: str) -> Instance:
    if not SESSION.fullmatch(session):
        raise NotFound(f"console session {session!r} not found")
    return Instance(app.id, f"console-{session}", component, 0, None)


def prepare(services: Services, app: App, component: str, command: list[str],
            deployment_id: str | None = None, instance: str | None = None
            ) -> dict[str, object]:
    """Prepare ``command`` (default: a login shell) and return the command line that runs it
    on the user's terminal (or the exec console's pty)."""
    ctx = live_context(services, app, deployment_id)
    record = ctx.components.get(component)
    if not record or record.app_dir is None or not record.app_dir.exists():
        runnable = [n for n, r in ctx.components.items() if r.app_dir is not None]
        raise NotFound(f"component {component!r} has no release with app files in "
                       f"deployment {ctx.dep.id}; try one of: {', '.join(runnable) or 'none'}")
    check_instance(ctx, component, instance)
    binds = live_bindings(ctx)
    session = uuid.uuid4().hex[:12]
    line = shlex.join(command) if command else "exec bash -l"
    launch = launch_for(ctx, ctx.spec.component(component), binds, port=None, kind="console",
                        command=line)
    argv = services.runtime.console(session_instance(app, component, session), launch)
    return {"id": session, "command": argv, "deployment_id": ctx.dep.id}


def remove(services: Services, app: App, component: str, session: str) -> None:
    services.runtime.end_console(session_instance(app, component, session))
