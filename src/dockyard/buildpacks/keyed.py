"""Content-keyed directories that releases share: ``node_modules`` per lockfile, Go module
downloads per ``go.sum``.

``<build_cache>/<kind>/<key>/`` is made once and then only read. The key is the sha256 of a
small, readable *state* (tool versions, the manifests' hashes, the settings that change what
gets installed), so a commit that changes only code finds the directory of the previous build
and the build log says so; a changed lockfile makes a new directory next to the old one.

Atomicity, as for the Python environments (``envcache``): the directory is filled under a
temp name and renamed into place, under a per-key lock, so a crash never leaves a half
directory at the final path and a concurrent build of the same key waits and then reuses it.
Each component remembers the state of its last build (``history/``), so a miss can say what
changed (``package-lock.json changed``, ``Node.js changed from 18.19.0 to 20.20.2``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockyard.locks import file_lock
from dockyard.logs import Log

MARKER = ".dockyard-cache.json"


@dataclass(frozen=True)
class Keyed:
    root: Path  # e.g. <build_cache>/node
    state: Mapping[str, object]  # what the key is made of (JSON-able)
    history: Path  # the component's record of its last build's state
    what: str  # how the log names the directory, e.g. "node_modules"
    force: bool = False

    @property
    def key(self) -> str:
        blob = json.dumps({"layout": 1, **self.state}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()

    def ensure(self, create: Callable[[Path], None], log: Log) -> tuple[Path, bool]:
        """The directory for ``state`` and whether it was reused; ``create(tmp)`` fills a
        fresh one (it may raise: nothing is left behind)."""
        key = self.key
        final = self.root / key
        (self.root / ".locks").mkdir(parents=True, exist_ok=True)
        previous = read_json(self.history)
        with file_lock(self.root / ".locks" / f"{key}.lock"):
            if (final / MARKER).is_file() and not self.force:
                log.step(f"Reusing {self.what} {key[:12]} ({unchanged(self.state)})")
                os.utime(final / MARKER)  # last use, for a garbage collector
                hit = True
            else:
                reason = why(previous, self.state, self.force)
                log.step(f"Creating {self.what} {key[:12]} ({reason})")
                self._create(final, create)
                hit = False
        write_json(self.history, dict(self.state))
        return final, hit

    def _create(self, final: Path, create: Callable[[Path], None]) -> None:
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            fresh = tmp / "new"
            fresh.mkdir()
            create(fresh)
            (fresh / MARKER).write_text(json.dumps(dict(self.state), indent=2, sort_keys=True))
            if final.exists():  # a forced rebuild: the old one goes aside, then away
                os.rename(final, tmp / "old")
            os.rename(fresh, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def unchanged(state: Mapping[str, object]) -> str:
    files = state.get("files")
    names = ", ".join(files) if isinstance(files, dict) and files else "inputs"
    return f"{names} unchanged"


def why(previous: Mapping[str, object] | None, state: Mapping[str, object], force: bool) -> str:
    """Why a new directory is made, in the buildpack's words (``Discarding cache since: …``)."""
    if force:
        return "force rebuild requested"
    if previous is None:
        return "first build of this component"
    reasons: list[str] = []
    for key, value in state.items():
        old = previous.get(key)
        if key == "files":
            reasons += file_changes(old, value)
        elif old != value:
            reasons.append(f"{key} changed" + (f" from {old} to {value}"
                                               if isinstance(value, str) and old else ""))
    return "; ".join(reasons) or "it is no longer in the cache"


def file_changes(before: object, after: object) -> list[str]:
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    out = [f"{rel} {'changed' if rel in old else 'added'}" for rel in new
           if old.get(rel) != new[rel]]
    return out + [f"{rel} removed" for rel in old if rel not in new]


def file_hashes(root: Path, names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """sha256 of each existing file (missing ones are left out)."""
    return {n: hashlib.sha256((root / n).read_bytes()).hexdigest()
            for n in names if (root / n).is_file()}


def settings_hash(env: Mapping[str, str], prefixes: tuple[str, ...]) -> dict[str, str]:
    """Settings that change what gets installed, hashed (they may hold registry tokens)."""
    return {k: hashlib.sha256(v.encode()).hexdigest()[:16] for k, v in sorted(env.items())
            if k.upper().startswith(prefixes)}


def read_json(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, sort_keys=True)
    os.replace(tmp, path)
