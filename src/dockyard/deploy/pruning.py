"""Keep the last N releases (``keep_releases``, default 10) and drop the rest.

Releases of deployments that never went live are useless and go at once; their logs stay.
Shared virtualenvs that no kept release uses are removed too, but only while no deployment
is in progress anywhere (a build may be about to use one).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from dockyard.deploy.phases import IN_PROGRESS, Phase
from dockyard.logs import Log
from dockyard.store import App

LIVE = (Phase.ACTIVE.value, Phase.SUPERSEDED.value)
RECENT_SECONDS = 600


def prune(platform: Any, app: App, log: Log) -> None:
    store = platform.store
    deps = store.list_deployments(app.id)
    live = [d for d in deps if d.phase in LIVE]
    keep = {d.id for d in live[:platform.settings.keep_releases]}
    keep |= {d.id for d in deps if Phase(d.phase) in IN_PROGRESS}
    removed = 0
    for dep in deps:
        folder = platform.home.releases(app.id) / dep.id
        if dep.id not in keep and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        log.step(f"Pruned {removed} old release(s); keeping the last "
                 f"{platform.settings.keep_releases}")
    collect_environments(platform, log)


def used_environments(platform: Any) -> set[str]:
    used: set[str] = set()
    for release_json in platform.home.root.glob("apps/*/releases/*/*/release.json"):
        try:
            venv = json.loads(release_json.read_text()).get("venv")
        except (OSError, ValueError):
            continue
        if venv:
            used.add(str(Path(venv)))
    return used


def collect_environments(platform: Any, log: Log) -> None:
    store = platform.store
    for app in store.list_apps():
        if any(Phase(d.phase) in IN_PROGRESS for d in store.list_deployments(app.id)):
            return
    envs = platform.home.build_cache / "envs"
    if not envs.is_dir():
        return
    used = used_environments(platform)
    recent = time.time() - RECENT_SECONDS
    for env in envs.iterdir():
        if env.name.startswith(".") or not env.is_dir() or str(env) in used:
            continue
        if env.stat().st_mtime > recent or any(p.stat().st_mtime > recent
                                               for p in env.glob(".dockyard-env*")):
            continue  # just made or just reused: a build may be about to record it
        shutil.rmtree(env, ignore_errors=True)
        log.step(f"Removed unused environment {env.name[:12]}")
