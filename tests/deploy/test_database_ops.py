"""Backups of an app's databases as the API lists them, and restores that name what is
missing (no PostgreSQL server needed to find out)."""

from __future__ import annotations

import os

import pytest

from dockyard.deploy.database_ops import backups_dir, list_backups, restore
from dockyard.deploy.services import Services
from dockyard.errors import NotFound
from dockyard.logs import Log
from dockyard.store import App
from tests.deploy.conftest import Deployer, tiny_spec


@pytest.fixture
def app(deployer: Deployer) -> App:
    return deployer.create(tiny_spec(deployer.repo))


def dump(services: Services, app: App, database: str, name: str, size: int) -> None:
    path = backups_dir(services, app, database) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"P" * size)
    os.utime(path, (0, 0))


def test_backups_are_listed_newest_first_with_size_and_time(services: Services, app: App):
    dump(services, app, "db", "20240101T000000Z-manual.dump", 10)
    dump(services, app, "db", "20240301T000000Z-before-abcd1234.dump", 30)
    dump(services, app, "cache", "20240201T000000Z-manual.dump", 20)
    (backups_dir(services, app, "db") / "notes.txt").write_text("not a dump")
    listed = list_backups(services, app)
    assert [(b["database"], b["name"], b["size"]) for b in listed] == [
        ("db", "20240301T000000Z-before-abcd1234.dump", 30),
        ("cache", "20240201T000000Z-manual.dump", 20),
        ("db", "20240101T000000Z-manual.dump", 10)]
    assert listed[0]["created_at"] == "1970-01-01T00:00:00Z"
    assert [b["database"] for b in list_backups(services, app, "cache")] == ["cache"]


def test_an_app_without_backups_lists_none(services: Services, app: App):
    assert list_backups(services, app) == []


def test_restoring_without_backups_says_so(services: Services, app: App, log: Log):
    with pytest.raises(NotFound) as err:
        restore(services, app, "db", None, log)
    assert err.value.message == "no backups of database 'db' of app tiny"


def test_restoring_an_unknown_backup_says_how_to_list_them(services: Services, app: App,
                                                           log: Log):
    dump(services, app, "db", "20240101T000000Z-manual.dump", 10)
    with pytest.raises(NotFound) as err:
        restore(services, app, "db", "20990101T000000Z-manual.dump", log)
    assert err.value.message == "backup '20990101T000000Z-manual.dump' not found"
    assert err.value.hint == "`dockyard databases backups APP` lists them."


def test_first_time_setup_waits_for_another_process_setting_up(services: Services,
                                                               monkeypatch: pytest.MonkeyPatch):
    """Issue 10, defect 12: deployments run in separate worker processes, so the first-time
    PostgreSQL set-up must be guarded across processes (a thread lock guarded nothing)."""
    import subprocess
    import sys
    import time

    from dockyard.deploy import database_ops

    entered: list[float] = []

    class FakeServer:  # records when set-up begins; no PostgreSQL here
        def __init__(self, home: object, port: int) -> None:
            entered.append(time.monotonic())

        def wait_ready(self, timeout: float) -> None:
            pass

    class FakeSupervisor:
        def __init__(self, home: object) -> None:
            pass

        def program_names(self) -> list[str]:
            return ["postgres"]

    monkeypatch.setattr("dockyard.databases.PostgresServer", FakeServer)
    monkeypatch.setattr("dockyard.runtime.local.supervisor.Supervisor", FakeSupervisor)
    lock = services.home.run / "postgres-init.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(  # another worker, setting up for 1.5 s
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(1.5)",
         str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        asked = time.monotonic()
        database_ops.server(services)
        assert entered and entered[0] - asked > 1.0  # it waited for the other process
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe
