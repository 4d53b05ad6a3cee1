"""In-process CLI runs against ``FakeApi``, a fake of Dockyard's HTTPS API client.

``FakeApi`` stands in for ``dockyard.cli.client.Client`` (the only thing the CLI talks to): it
answers requests from a table of ``(METHOD, path) → answer`` and records each request, so a
test can check what the CLI sent. A request the table does not hold fails the test, naming it.
``run_cli`` calls the real entry point (``dockyard.cli.tree.run``) with ``sys.argv`` set, so
exit codes and `` !     `` lines are exactly what a user sees.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import dockyard.cli
from dockyard.cli.client import ApiError

Answer = dict[str, Any] | Callable[..., dict[str, Any]] | ApiError


@dataclass
class FakeApi:
    """A fake of ``Client``: canned answers by ``(METHOD, path)``; every request recorded."""

    answers: dict[tuple[str, str], Answer | list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    ctx: Any = None

    def on(self, method: str, path: str, *answers: Answer) -> FakeApi:
        """Answer ``method path`` with ``answers`` in turn (the last one repeats)."""
        self.answers[(method, path)] = list(answers)
        return self

    def _answer(self, method: str, path: str, body: Any) -> dict[str, Any]:
        self.requests.append((method, path, body))
        queue = self.answers.get((method, path))
        if not queue:
            raise AssertionError(f"FakeApi: unexpected request {method} {path} "
                                 f"(known: {sorted(self.answers)})")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, ApiError):
            raise answer
        return answer(body) if callable(answer) else answer

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        return self._answer("GET", path, {k: v for k, v in query.items() if v is not None})

    def post(self, path: str, body: Any = None) -> dict[str, Any]:
        return self._answer("POST", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> dict[str, Any]:
        return self._answer("PUT", path, body)

    def delete(self, path: str) -> dict[str, Any]:
        return self._answer("DELETE", path, None)

    def sent(self, method: str, path: str) -> list[Any]:
        """Bodies (or queries) of the requests made to ``method path``."""
        return [body for m, p, body in self.requests if (m, p) == (method, path)]


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli_modules() -> list[Any]:
    """Every module of ``dockyard.cli`` (command bodies are imported lazily by the CLI)."""
    return [importlib.import_module(f"dockyard.cli.{m.name}")
            for m in pkgutil.iter_modules(dockyard.cli.__path__)]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """A ``FakeApi`` that every CLI module gets when it makes a ``Client()``."""
    fake = FakeApi()
    for module in cli_modules():
        if getattr(module, "Client", None) is not None:
            monkeypatch.setattr(module, "Client", lambda *_a, **_k: fake)
    return fake


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
            ) -> Callable[..., Run]:
    def run(*args: str) -> Run:
        from dockyard.cli.tree import run as entry

        monkeypatch.setattr(sys, "argv", ["dockyard", *args])
        capsys.readouterr()
        try:
            entry()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return run
