"""What a deployment knows about each of its components, from build to run.

The build stage fills in the release (where its files are, how to run it); the start stage
adds the instances. On a cluster the release is also an image, pushed by digest: a rollback
redeploys that image, not a rebuild. Stored with the deployment (as plain JSON), so a
restarted API server, a rollback and the API's instance list all read the same record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class InstanceRecord:
    index: int
    port: int | None
    program: str
    deployment: str = ""   # the earlier deployment that started it and still runs it (a
    #                        restart of other components keeps it); "" for this deployment


@dataclass
class ComponentRecord:
    name: str
    kind: str                                  # service, worker, job, static_site
    commit: str
    release: Path                              # releases/<deployment>/<component>/
    buildpack: str = ""
    app_dir: Path | None = None                # release/app (services, workers, jobs)
    site_dir: Path | None = None               # release/site (static sites)
    default_run_command: str | None = None     # Procfile, Django wsgi …
    run_env: dict[str, str] = field(default_factory=dict)   # what the build adds: VIRTUAL_ENV
    run_path: list[str] = field(default_factory=list)       # dirs put first on PATH
    run_mounts: list[str] = field(default_factory=list)     # host paths it reads at run time
    python: str | None = None
    image: str | None = None                   # on a cluster: registry/app/comp@sha256:…
    instances: list[InstanceRecord] = field(default_factory=list)
    rootfs: dict[str, Any] | None = None       # app_dir is this image's root: what it runs

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("release", "app_dir", "site_dir"):
            out[key] = str(out[key]) if out[key] is not None else None
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ComponentRecord:
        """Read a stored record (also those written before it was typed: "" meant none)."""
        run_env = dict(raw.get("run_env") or {})
        run_path = list(raw.get("run_path") or [])
        if raw.get("venv") and not run_env:  # records of earlier versions
            run_env = {"VIRTUAL_ENV": raw["venv"]}
            run_path = [f"{raw['venv']}/bin"]
        return cls(
            name=raw["name"], kind=raw["kind"], commit=raw.get("commit") or "",
            release=Path(raw["release"]), buildpack=raw.get("buildpack") or "",
            app_dir=_path(raw.get("app_dir")), site_dir=_path(raw.get("site_dir")),
            default_run_command=raw.get("default_run_command") or None,
            run_env=run_env, run_path=run_path, run_mounts=list(raw.get("run_mounts") or []),
            python=raw.get("python") or None, image=raw.get("image") or None,
            instances=[InstanceRecord(int(i["index"]), i.get("port"), i.get("program", ""),
                                      i.get("deployment") or "")
                       for i in raw.get("instances") or []],
            rootfs=raw.get("rootfs") or None)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def records_of(components: list[dict[str, Any]]) -> list[ComponentRecord]:
    return [ComponentRecord.from_dict(c) for c in components]
