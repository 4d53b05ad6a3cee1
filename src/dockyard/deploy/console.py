"""One-off commands in the live release (``dockyard apps console``), e.g. ``createsuperuser``.

The command gets what an instance of the component gets: a fresh writable copy of the active
release, its environment (bindables and databases resolved), but no port and no restarts.
"""

from __future__ import annotations

import shlex
import shutil
import uuid
from pathlib import Path
from typing import Any

from dockyard.deploy.context import DeployContext
from dockyard.deploy.phases import Phase
from dockyard.errors import DockyardError, NotFound
from dockyard.logs import Log
from dockyard.release.bindings import bindings_for
from dockyard.release.environment import run_env
from dockyard.runtime.local.instances import Instance
from dockyard.store import App


def live_context(platform: Any, app: App) -> DeployContext:
    from dockyard.appspec import parse_spec_data

    active = platform.store.list_deployments(app.id, phases=(Phase.ACTIVE.value,))
    if not active:
        raise DockyardError(f"app {app.name} has no live deployment", code="console.not_live")
    dep = active[0]
    spec = parse_spec_data(platform.store.spec_version(app.id, dep.spec_version)).spec
    return DeployContext(platform.home, platform.settings, platform.store, app, dep, spec,
                         Log(), box=platform.secret_box,
                         components={c["name"]: c for c in dep.components})


def prepare(platform: Any, app: App, component: str, command: list[str]) -> dict[str, str]:
    """Write a launch file for ``command`` (default: a login shell) and return its path."""
    from dockyard.deploy import database_ops as databases

    ctx = live_context(platform, app)
    record = ctx.components.get(component)
    if not record or not record.get("app_dir"):
        runnable = [n for n, r in ctx.components.items() if r.get("app_dir")]
        raise NotFound(f"component {component!r} has no release with app files; try one of: "
                       f"{', '.join(runnable) or 'none'}")
    binds = bindings_for(ctx.spec, app.id, app.port, ctx.live_url,
                         {n: r.get("commit", "") for n, r in ctx.components.items()})
    binds.databases = {d.name: databases.connection_for(platform, app, d, i).bindables()
                       for i, d in enumerate(ctx.spec.databases or [])}
    session = uuid.uuid4().hex[:12]
    inst = Instance(app.id, f"console-{session}", component, 0, None)
    comp = ctx.spec.component(component)
    env, sealed = ctx.sealed_env(run_env(
        ctx.spec, comp, bindings=binds, port=None, venv=record.get("venv") or None,
        release_env=record.get("run_env"),
        home=platform.runtime.instance_dir(inst), reveal=ctx.reveal))
    line = shlex.join(command) if command else "exec bash -l"
    prog = platform.runtime.prepare(inst, Path(record["app_dir"]), line, env, encrypted=sealed,
                                    record_starts=False)
    return {"id": session, "launch": prog.argv[-1]}


def remove(platform: Any, app: App, component: str, session: str) -> None:
    inst = Instance(app.id, f"console-{session}", component, 0, None)
    platform.runtime.discard(inst)
    shutil.rmtree(platform.home.instances(app.id) / f"console-{session}", ignore_errors=True)
