"""A real SQLite store in a temporary folder, an app in it, and ``race``: several connections
to the same database doing one thing at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from dockyard.store import App, Store

SPEC = {"name": "shop", "services": [{"name": "web"}]}
T = TypeVar("T")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "state" / "dockyard.db")
    yield store
    store.close()


@pytest.fixture
def app(store: Store) -> App:
    return store.create_app("shop", SPEC, "name: shop\n", ["note"], port=8123)


def race(store: Store, count: int, work: Callable[[Store, int], T]) -> list[T]:
    """``work(connection, n)`` in ``count`` threads, each with its own connection to
    ``store``'s database (as separate servers and workers have), released together by a
    barrier; what each returned, in the order they finished."""
    others = [Store(store.path) for _ in range(count)]
    results: list[T] = []
    start = threading.Barrier(count)

    def one(s: Store, n: int) -> None:
        start.wait()
        results.append(work(s, n))

    threads = [threading.Thread(target=one, args=(s, n)) for n, s in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in others:
        s.close()
    return results
