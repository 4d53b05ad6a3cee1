"""Fixtures for build tests: a Home whose uv cache is shared and warm, fixture app copies."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import warm_home

from dockyard.buildpacks import BuildRequest, BuildSettings
from dockyard.buildpacks.nodetools import user_npm_cache
from dockyard.logs import Log
from dockyard.paths import Home

APPS = Path(__file__).resolve().parent.parent / "apps"


@pytest.fixture(scope="session")
def npm_cache_dir() -> Path:
    """npm's own cache (warm on a developer machine), shared like uv's."""
    return user_npm_cache()


@pytest.fixture
def home(tmp_path: Path, npm_cache_dir: Path) -> Home:
    home = Home(warm_home(tmp_path / "home"))
    home.tool_cache("npm").symlink_to(npm_cache_dir, target_is_directory=True)
    return home


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    log = Log(tmp_path / "build.log")
    yield log
    log.close()


@pytest.fixture
def app_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A private copy of ``tests/apps/<name>`` that a test may edit."""
    def copy(name: str) -> Path:
        dest = tmp_path / "src" / name
        shutil.copytree(APPS / name, dest)
        return dest
    return copy


@pytest.fixture
def make_request(home: Home) -> Callable[..., BuildRequest]:
    """``BuildRequest`` for ``src`` into a fresh release dir named after ``deployment``."""
    def make(src: Path, deployment: str = "d1", kind: str = "service", component: str = "web",
             env: dict[str, str] | None = None, settings: BuildSettings | None = None,
             **kw: object) -> BuildRequest:
        return BuildRequest(component=component, kind=kind, src=src,
                            release=home.release("app1", deployment, component),
                            env=env or {}, home=home,
                            settings=settings or BuildSettings(), **kw)  # type: ignore[arg-type]
    return make
