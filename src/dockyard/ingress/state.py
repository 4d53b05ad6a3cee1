"""What public mode knows about each certificate: its phase, why, and when it expires.

The ingress program is the only writer (``ingress/state.json``, replaced atomically); the API
server reads it for ``app.domains[]`` and ``dockyard status``. Phases are DigitalOcean's:
``PENDING`` (not tried yet, or waiting for the next try), ``CONFIGURING`` (an ACME order is
running), ``ACTIVE`` (a certificate is installed in HAProxy), ``ERROR`` (no certificate; the
reason says why, and Dockyard tries again later).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PENDING, CONFIGURING, ACTIVE, ERROR = "PENDING", "CONFIGURING", "ACTIVE", "ERROR"


@dataclass
class DomainState:
    key: str
    names: list[str]
    kind: str
    app_id: str | None = None
    phase: str = PENDING
    reason: str = ""             # why ERROR, or why the last renewal failed (ACTIVE)
    reason_code: str = ""
    valid_from: str = ""         # the installed certificate's notBefore (ISO, UTC)
    expires_at: str = ""         # the installed certificate's notAfter (ISO, UTC)
    issued_at: str = ""
    started_at: str = ""         # the last ACME attempt
    ended_at: str = ""
    failures: int = 0            # in a row
    next_attempt: float = 0.0    # epoch seconds
    alerted_failed: bool = False
    min_tls: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)

    def expires(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.expires_at) if self.expires_at else None

    def lifetime(self) -> float:
        """Seconds from notBefore to notAfter (0 when unknown)."""
        if not (self.valid_from and self.expires_at):
            return 0.0
        return (dt.datetime.fromisoformat(self.expires_at)
                - dt.datetime.fromisoformat(self.valid_from)).total_seconds()

    def seconds_left(self, now: dt.datetime) -> float:
        expires = self.expires()
        return (expires - now).total_seconds() if expires else -1.0


def state_path(folder: Path) -> Path:
    return folder / "state.json"


def load_states(folder: Path) -> dict[str, DomainState]:
    """The states by key; empty when public mode never ran (or the file is unreadable)."""
    try:
        raw = json.loads(state_path(folder).read_text())
    except (OSError, ValueError):
        return {}
    known = DomainState.__dataclass_fields__
    return {k: DomainState(**{f: v for f, v in d.items() if f in known})
            for k, d in raw.get("domains", {}).items()}


def save_states(folder: Path, states: dict[str, DomainState]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = state_path(folder)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"domains": {k: asdict(s) for k, s in sorted(states.items())}},
                              indent=1) + "\n")
    os.replace(tmp, path)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
