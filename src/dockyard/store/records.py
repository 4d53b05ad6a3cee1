"""Plain records the store returns; the API turns them into DigitalOcean's JSON shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class App:
    id: str
    name: str
    spec_version: int
    port: int | None
    webhook_secret: str | None
    pinned_deployment_id: str | None
    created_at: str
    updated_at: str
    spec: dict[str, Any] = field(default_factory=dict)
    spec_yaml: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    id: str
    app_id: str
    spec_version: int
    phase: str
    cause: str
    cause_type: str
    cloned_from: str
    force_build: bool
    progress: dict[str, Any]
    components: list[dict[str, Any]]
    error_code: str
    error_message: str
    created_at: str
    updated_at: str
    phase_last_updated_at: str
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Deployment:
        d = dict(row)
        d["options"] = json.loads(d.pop("options_json", None) or "{}")
        d["force_build"] = bool(d["force_build"])
        d["progress"] = json.loads(d.pop("progress_json") or "{}")
        d["components"] = json.loads(d.pop("components_json") or "[]")
        return cls(**d)


@dataclass
class Token:
    name: str
    read_only: bool
    created_at: str
    last_used_at: str | None
