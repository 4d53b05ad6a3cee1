"""A real SQLite store in a temporary folder, and an app in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.store import App, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "state" / "dockyard.db")
    yield store
    store.close()


@pytest.fixture
def app(store: Store) -> App:
    return store.create_app("shop", {"name": "shop", "services": [{"name": "web"}]},
                            "name: shop\n", ["note"], port=8123)
