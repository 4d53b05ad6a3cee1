"""The warning for SQLite data kept inside a release (the book's db.sqlite3)."""

from __future__ import annotations

from pathlib import Path

from dockyard.deploy.sqlite_warning import SQLITE_MAGIC, sqlite_files, warn_sqlite
from tests.deploy.conftest import Deployer, start_new, tiny_spec


def test_sqlite_files_are_found_by_their_header_not_their_name(tmp_path: Path):
    (tmp_path / "db.sqlite3").write_bytes(SQLITE_MAGIC + b"\0" * 100)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "store.bin").write_bytes(SQLITE_MAGIC)
    (tmp_path / "notes.sqlite3").write_text("not a database")
    deep = tmp_path / "a" / "b" / "c" / "d"  # below the scanned levels
    deep.mkdir(parents=True)
    (deep / "too-deep.db").write_bytes(SQLITE_MAGIC)
    found = sorted(str(p.relative_to(tmp_path)) for p in sqlite_files(tmp_path))
    assert found == ["data/store.bin", "db.sqlite3"]


def test_the_deploy_log_warns_once_per_component_and_file(deployer: Deployer):
    ctx = deployer.prepared(tiny_spec(deployer.repo, instance_count=2))
    app_dir = ctx.components["web"].app_dir
    assert app_dir is not None
    (app_dir / "db.sqlite3").write_bytes(SQLITE_MAGIC)
    new = start_new(ctx)
    warn_sqlite(ctx, new)
    ctx.log.close()
    log = deployer.log(ctx.dep)
    assert log.count("WARNING: 'web' keeps SQLite data in its release directory "
                     "(db.sqlite3)") == 1
    assert "databases: [{name: db, engine: PG}]" in log


def test_no_sqlite_file_no_warning(deployer: Deployer):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    warn_sqlite(ctx, start_new(ctx))
    ctx.log.close()
    assert "WARNING" not in deployer.log(ctx.dep)
