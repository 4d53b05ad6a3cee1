"""The state directory's layout and the path rule for source_dir/output_dir."""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

import pytest

from dockyard.files import write_private
from dockyard.paths import Home, inside


def test_every_place_is_under_the_home(tmp_path: Path):
    home = Home(tmp_path)
    assert home.release("a1", "d1", "web") == tmp_path / "apps/a1/releases/d1/web"
    assert home.instances("a1") == tmp_path / "apps/a1/instances"
    assert home.logs("a1") == tmp_path / "apps/a1/logs"
    assert home.repo("a1") == tmp_path / "apps/a1/repo"
    assert home.data("a1", "web") == tmp_path / "apps/a1/data/web"
    assert (home.db, home.secrets_key) == (tmp_path / "dockyard.db", tmp_path / "secrets.key")
    assert (home.uv_cache, home.build_cache) == (tmp_path / "cache/uv", tmp_path / "cache/builds")


def test_the_default_home_follows_dockyard_home(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "elsewhere"))
    assert Home.default().root == tmp_path / "elsewhere"
    monkeypatch.delenv("DOCKYARD_HOME")
    assert Home.default().root == Path.home() / ".dockyard"


def test_ensure_makes_the_home_private(tmp_path: Path):
    home = Home(tmp_path / "h").ensure()
    assert stat.S_IMODE(home.root.stat().st_mode) == 0o700


@pytest.mark.parametrize(("given", "expected"), [
    ("/", ""), (".", ""), ("app", "app"), ("/02/ProfileApp/", "02/ProfileApp"),
    ("a/./b", "a/b"), ("a/b/../c", "a/c"), (" dist ", "dist")])
def test_inside_folds_a_path_that_stays_inside(given: str, expected: str):
    assert inside(given) == PurePosixPath(expected)


@pytest.mark.parametrize("given", ["..", "../x", "a/../../x", "/.."])
def test_inside_refuses_a_path_that_climbs_out(given: str):
    assert inside(given) is None


def test_private_files_are_0600_from_the_start_and_replaced_whole(tmp_path: Path):
    path = tmp_path / "tls" / "key.pem"
    write_private(path, b"first")
    write_private(path, b"second")
    assert path.read_bytes() == b"second"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key.pem"]
