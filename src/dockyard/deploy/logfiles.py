"""Where a deployment's BUILD, DEPLOY and RUN logs are, kept per deployment for good.

``apps/<app>/logs/<deployment>/``: ``build-<component>.log``, ``deploy.log`` and
``run-<component>-<n>.log`` (one per instance; supervisord writes it), and
``job-<job>-<invocation>.log`` for each scheduled job invocation run in that deployment.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.errors import DockyardError

TYPES = ("BUILD", "DEPLOY", "RUN")


def normalize_type(value: str | None, default: str = "RUN") -> str:
    """DigitalOcean's log type names; ``UNSPECIFIED`` (pydo's default) means RUN."""
    kind = (value or "UNSPECIFIED").upper()
    if kind == "UNSPECIFIED":
        return default
    if kind == "RUN_RESTARTED":
        return "RUN"
    if kind not in TYPES:
        raise DockyardError(f"log type must be one of build, deploy, run (got {value!r})",
                            code="bad_request")
    return kind


def log_files(folder: Path, kind: str, component: str | None) -> list[Path]:
    """The files holding ``kind`` logs of one deployment (optionally one component).

    ``JOB_INVOCATION`` logs are one invocation's: ``component`` is ``<job>/<invocation>``."""
    if kind == "JOB_INVOCATION":
        job, _, invocation = (component or "").partition("/")
        return [folder / f"job-{job}-{invocation}.log"]
    if kind == "DEPLOY":
        return [folder / "deploy.log"]
    prefix = "build" if kind == "BUILD" else "run"
    pattern = f"{prefix}-{component}.log" if kind == "BUILD" and component else (
        f"{prefix}-{component}-*.log" if component else f"{prefix}-*.log")
    return sorted(folder.glob(pattern))
