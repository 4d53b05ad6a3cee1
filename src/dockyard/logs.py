"""Build, deploy and run logs in one vocabulary (docs/conventions.md §11).

Steps start with ``-----> ``, a child's output is indented seven spaces, errors start with
`` !     ``. Every line passes through ``mask`` so a secret value never reaches a file or a
terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

STEP = "-----> "
CHILD = "       "
ERROR = " !     "


class Log:
    """An append-only log file (and optional echo stream) that masks secrets."""

    def __init__(self, path: str | Path | None = None, *, echo: TextIO | None = None,
                 secrets: Iterable[str] = ()) -> None:
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8") if self.path else None  # noqa: SIM115
        self.echo = echo
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self._lock = threading.Lock()

    def add_secrets(self, values: Iterable[str]) -> None:
        """Mask these values too from now on (longest first, so prefixes don't leak)."""
        merged = set(self._secrets) | {v for v in values if v and len(v) >= 3}
        self._secrets = sorted(merged, key=len, reverse=True)

    def mask(self, line: str) -> str:
        for secret in self._secrets:
            if secret in line:
                line = line.replace(secret, "***")
        return line

    def write(self, line: str) -> None:
        line = self.mask(line)
        with self._lock:
            if self._file:
                self._file.write(line + "\n")
                self._file.flush()
            if self.echo:
                self.echo.write(line + "\n")
                self.echo.flush()

    def step(self, text: str) -> None:
        self.write(STEP + text)

    def child(self, text: str) -> None:
        self.write(CHILD + text)

    def error(self, text: str) -> None:
        for part in str(text).splitlines() or [""]:
            self.write(ERROR + part)

    def close(self) -> None:
        if self._file:
            self._file.close()
            self._file = None


def null_log() -> Log:
    """A log that goes nowhere (for callers that don't keep one)."""
    return Log()


def timestamp() -> str:
    """RFC 3339 UTC with seconds, as DigitalOcean's API writes times."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
