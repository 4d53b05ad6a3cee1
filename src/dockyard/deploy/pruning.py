"""Keep the last N releases (``keep_releases``, default 10) and drop the rest.

Releases of deployments that never went live are useless and go at once; their logs stay.
Virtualenvs, node_modules and image layers (each app has its own cache of them) that no kept
release uses are removed too, but only while no deployment is in progress anywhere (a build
may be about to use one).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from dockyard.deploy.phases import IN_PROGRESS, Phase
from dockyard.deploy.services import Services
from dockyard.files import real_dir
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.release.record import records_of
from dockyard.store import App
from dockyard.store.invocations import OPEN_PHASES

LIVE = (Phase.ACTIVE.value, Phase.SUPERSEDED.value)
RECENT_SECONDS = 600


def prune(services: Services, app: App, log: Log) -> None:
    store = services.store
    deps = store.list_deployments(app.id)
    live = [d for d in deps if d.phase in LIVE]
    keep = {d.id for d in live[:services.settings.keep_releases]}
    keep |= {d.id for d in deps if Phase(d.phase) in IN_PROGRESS}
    # a scheduled job still running in an old release finishes there
    keep |= {i.deployment_id for i in store.list_invocations(app.id, phases=OPEN_PHASES)}
    # restarts and rollbacks run the release a build made in an earlier deployment
    keep |= {record.release.parent.name for dep in deps if dep.id in keep
             for record in records_of(dep.components)}
    removed = 0
    for dep in deps:
        folder = services.home.releases(app.id) / dep.id
        if dep.id not in keep and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.step(f"Pruned {removed} old release(s); keeping the last "
                 f"{services.settings.keep_releases}")
    collect_environments(services, log)


def used_environments(services: Services) -> set[str]:
    used: set[str] = set()
    for release_json in services.home.root.glob("apps/*/releases/*/*/release.json"):
        try:
            data = json.loads(release_json.read_text())
        except (OSError, ValueError):
            continue
        if data.get("venv"):
            used.add(str(Path(data["venv"])))
        used |= {str(Path(c).parent) for c in data.get("caches") or []}  # node_modules' dir
    return used


def collect_environments(services: Services, log: Log) -> None:
    store = services.store
    for app in store.list_apps():
        if any(Phase(d.phase) in IN_PROGRESS for d in store.list_deployments(app.id)):
            return
    used = used_environments(services)
    recent = time.time() - RECENT_SECONDS
    roots = [services.home.root, *(services.home.app(a.id) for a in store.list_apps())]
    # an app's build owns its cache: a link there (cache/builds -> /var/lib) is never followed
    # (nothing of the app runs meanwhile: this waits for every deployment, and instances see
    # only their virtualenv, read-only)
    folders = [(root, Home(root).build_cache / kind) for root in roots
               for kind in ("envs", "node")]
    for root, folder in folders:
        if not real_dir(folder, root):
            continue
        for env in folder.iterdir():
            if env.name.startswith(".") or not real_dir(env, root) or str(env) in used:
                continue
            if env.stat().st_mtime > recent or any(p.stat().st_mtime > recent
                                                   for p in env.glob(".dockyard-*")):
                continue  # just made or just reused: a build may be about to record it
            shutil.rmtree(env, ignore_errors=True)
            log.step(f"Removed unused environment {env.name[:12]}")
    collect_layers(services, log)


def collect_layers(services: Services, log: Log) -> None:
    """Image layers (each app's layer cache) that no kept release's root is made of."""
    from dockyard.buildpacks.rootfs import prune as prune_layers

    for app in services.store.list_apps():
        used: set[str] = set()
        for release_json in services.home.releases(app.id).glob("*/*/release.json"):
            try:
                image = json.loads(release_json.read_text()).get("image") or {}
            except (OSError, ValueError):
                continue
            used |= set(image.get("layers") or [])
        removed = prune_layers(services.home.app(app.id) / "images" / "layers", used)
        if removed:
            log.step(f"Removed {len(removed)} unused image layer(s) of {app.name}")
