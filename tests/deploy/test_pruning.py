"""Pruning: the last ``keep_releases`` releases that went live stay; logs always stay; shared
environments go only when no kept release uses them and no deployment runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from dockyard.deploy.pruning import RECENT_SECONDS, collect_environments, prune
from dockyard.deploy.services import Services
from dockyard.logs import Log
from dockyard.store import App, Deployment
from tests.deploy.conftest import Deployer, tiny_spec


@pytest.fixture
def app(deployer: Deployer) -> App:
    return deployer.create(tiny_spec(deployer.repo))


def released(deployer: Deployer, app: App, phase: str, venv: Path | None = None) -> Deployment:
    """A deployment in ``phase`` with a release folder (and a log) on disk."""
    dep = deployer.store.set_phase(deployer.queue(app), phase)
    record = deployer.release(dep)
    (record.release / "release.json").write_text(json.dumps({"venv": str(venv or "")}))
    logs = deployer.services.home.logs(app.id) / dep.id
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "deploy.log").write_text("-----> kept for good\n")
    return dep


def release_dirs(services: Services, app: App) -> set[str]:
    root = services.home.releases(app.id)
    return {p.name for p in root.iterdir()} if root.exists() else set()


def test_the_last_n_live_releases_are_kept_and_older_ones_removed(deployer: Deployer,
                                                                  services: Services,
                                                                  app: App, log: Log):
    services.settings.keep_releases = 2
    deps = [released(deployer, app, "SUPERSEDED") for _ in range(3)]
    deps.append(released(deployer, app, "ACTIVE"))
    prune(services, app, log)
    assert release_dirs(services, app) == {deps[2].id, deps[3].id}
    assert all((services.home.logs(app.id) / d.id / "deploy.log").exists() for d in deps)
    assert log.path is not None
    assert "-----> Pruned 2 old release(s); keeping the last 2" in log.path.read_text()


def test_releases_that_never_went_live_go_at_once(deployer: Deployer, services: Services,
                                                  app: App, log: Log):
    live = released(deployer, app, "ACTIVE")
    failed = released(deployer, app, "ERROR")
    canceled = released(deployer, app, "CANCELED")
    prune(services, app, log)
    assert release_dirs(services, app) == {live.id}
    assert not {failed.id, canceled.id} & release_dirs(services, app)


def test_a_deployment_in_progress_keeps_its_release(deployer: Deployer, services: Services,
                                                    app: App, log: Log):
    services.settings.keep_releases = 1
    building = released(deployer, app, "BUILDING")
    live = released(deployer, app, "ACTIVE")
    prune(services, app, log)
    assert release_dirs(services, app) == {building.id, live.id}


def test_a_release_a_kept_restart_runs_stays_though_its_build_is_older(
        deployer: Deployer, services: Services, app: App, log: Log):
    """A restart (or a rollback) runs the release an earlier deployment built; keeping the
    restart keeps that release, whatever its age."""
    services.settings.keep_releases = 1
    built = released(deployer, app, "SUPERSEDED")
    record = deployer.release(built, "web2")  # built by `built`, run by the restart
    restart = deployer.store.set_phase(deployer.queue(app), "ACTIVE")
    deployer.store.update_deployment(restart, components=[record.to_dict()])
    prune(services, app, log)
    assert release_dirs(services, app) == {built.id}
    assert (record.app_dir or record.release).exists()


def test_nothing_to_prune_says_nothing(deployer: Deployer, services: Services, app: App,
                                       log: Log):
    released(deployer, app, "ACTIVE")
    prune(services, app, log)
    assert log.path is not None and log.path.read_text() == ""


def environment(services: Services, name: str, age: float) -> Path:
    env = services.home.build_cache / "envs" / name
    (env / "bin").mkdir(parents=True)
    past = time.time() - age
    os.utime(env, (past, past))
    return env


def test_unused_old_environments_are_collected_used_and_recent_ones_kept(
        deployer: Deployer, services: Services, app: App, log: Log):
    used = environment(services, "used", RECENT_SECONDS * 2)
    unused = environment(services, "unused", RECENT_SECONDS * 2)
    recent = environment(services, "recent", 5)
    released(deployer, app, "ACTIVE", venv=used)
    collect_environments(services, log)
    assert used.exists() and recent.exists() and not unused.exists()
    assert log.path is not None
    assert log.path.read_text() == "-----> Removed unused environment unused\n"


@pytest.mark.parametrize("link", ["cache", "cache/builds", "cache/builds/envs", "env"])
def test_an_apps_build_cannot_point_the_collection_at_other_files(
        services: Services, app: App, log: Log, tmp_path: Path, link: str):
    """The app's build owns its cache and may plant symlinks in it; old directories outside
    (/var/lib, another app's cache) must never be removed through them."""
    outside = tmp_path / "outside"
    (outside / "envs" / "victim" / "bin").mkdir(parents=True)
    (outside / "victim" / "bin").mkdir(parents=True)
    past = time.time() - RECENT_SECONDS * 2
    for old in (outside / "envs" / "victim", outside / "victim"):
        os.utime(old, (past, past))
    cache = services.home.app(app.id) / "cache"
    targets = {"cache": outside.parent, "cache/builds": outside,
               "cache/builds/envs": outside / "envs"}
    if link == "env":
        (cache / "builds" / "envs").mkdir(parents=True)
        (cache / "builds" / "envs" / "victim").symlink_to(outside / "victim")
    else:
        path = services.home.app(app.id) / link
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(targets[link] if link != "cache" else outside.parent / "cachelike")
        if link == "cache":
            (outside.parent / "cachelike" / "builds").mkdir(parents=True)
            (outside.parent / "cachelike" / "builds" / "envs").symlink_to(outside / "envs")
    collect_environments(services, log)
    assert (outside / "envs" / "victim" / "bin").is_dir()
    assert (outside / "victim" / "bin").is_dir()


def test_an_environment_reused_just_now_is_kept(services: Services, log: Log):
    env = environment(services, "reused", RECENT_SECONDS * 2)
    old = env.stat().st_mtime
    (env / ".dockyard-env.json").write_text("{}")  # touched by a build a moment ago
    os.utime(env, (old, old))  # the folder itself looks old
    collect_environments(services, log)
    assert env.exists()


def test_no_environment_is_collected_while_a_deployment_runs(deployer: Deployer,
                                                             services: Services, app: App,
                                                             log: Log):
    unused = environment(services, "unused", RECENT_SECONDS * 2)
    released(deployer, app, "BUILDING")
    collect_environments(services, log)
    assert unused.exists()
