"""Schema migrations: a database of any earlier version is brought forward step by step,
keeps its rows, and a failing step leaves the database at the version before it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dockyard.store import Store
from dockyard.store import db as dbmodule
from dockyard.store.migrations import MIGRATIONS


def at_version(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")
    conn.close()


def tables(store: Store) -> set[str]:
    return {r[0] for r in store._query("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
def test_every_earlier_version_is_brought_to_the_last(tmp_path: Path, version: int):
    path = tmp_path / "dockyard.db"
    at_version(path, version)
    store = Store(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        assert {"apps", "deployments", "job_invocations", "metric_samples",
                "webhook_deliveries"} <= tables(store)
    finally:
        store.close()


def test_opening_twice_applies_nothing_again(tmp_path: Path):
    Store(tmp_path / "dockyard.db").close()
    store = Store(tmp_path / "dockyard.db")        # a second migrate() must not fail
    try:
        assert store.schema_version() == len(MIGRATIONS)
    finally:
        store.close()


def test_rows_survive_the_later_migrations(tmp_path: Path):
    path = tmp_path / "dockyard.db"
    at_version(path, 2)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO apps VALUES ('a1', 'old', 1, 9000, NULL, NULL, 't', 't')")
    conn.execute("INSERT INTO specs VALUES ('a1', 1, '{\"name\": \"old\"}', '', '[]', 't')")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        app = store.get_app("old")
        assert (app.port, app.spec) == (9000, {"name": "old"})
        assert store.claim_delivery("delivery-1", app.id)   # a table of migration 4
    finally:
        store.close()


def test_a_failing_step_leaves_the_database_at_the_last_good_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "dockyard.db"
    at_version(path, len(MIGRATIONS))
    broken = [*MIGRATIONS, "CREATE TABLE extra (x INTEGER);\nTHIS IS NOT SQL;"]
    monkeypatch.setattr(dbmodule, "MIGRATIONS", broken)
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        Store(path)
    monkeypatch.undo()
    store = Store(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        assert "extra" not in tables(store)              # the half-done step was rolled back
    finally:
        store.close()
