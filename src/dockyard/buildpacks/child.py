"""A build in a process of its own: ``python -m dockyard.buildpacks.child``.

The deploy worker starts this in the app's sandbox, as the app's user, so everything a build
runs — the package manager, sdist builds, ``build_command``, ``collectstatic`` — runs there
too, and no buildpack needs to know about the sandbox. The request comes in the environment
variable ``DOCKYARD_BUILD_REQUEST`` (removed before anything else runs; it may carry
BUILD_TIME secrets, so it never travels on a command line); the log goes to standard output,
already formatted; the result is the release's ``release.json``; a failure is described in
``release/.build-error.json`` for the parent to raise again.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

from dockyard.buildpacks.types import BuildRequest, BuildSettings
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.paths import Home

REQUEST_VAR = "DOCKYARD_BUILD_REQUEST"
ERROR_FILE = ".build-error.json"


def request_to_json(req: BuildRequest) -> str:
    out: dict[str, Any] = {}
    for f in fields(req):
        value = getattr(req, f.name)
        if isinstance(value, Home):
            value = str(value.root)
        elif isinstance(value, BuildSettings):
            value = {s.name: _plain(getattr(value, s.name)) for s in fields(value)}
        out[f.name] = _plain(value)
    return json.dumps(out)


def request_from_json(text: str) -> BuildRequest:
    data = json.loads(text)
    settings = dict(data.pop("settings", {}))
    if settings.get("python_candidates") is not None:
        settings["python_candidates"] = tuple(Path(p) for p in settings["python_candidates"])
    paths = {f.name for f in fields(BuildRequest) if "Path" in str(f.type)}
    data = {k: Path(v) if k in paths and v is not None else v for k, v in data.items()}
    return BuildRequest(**{**data, "home": Home(Path(data["home"])),
                           "settings": BuildSettings(**settings)})


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def main() -> int:
    from dockyard.buildpacks import build

    req = request_from_json(os.environ.pop(REQUEST_VAR))
    log = Log(echo=sys.stdout)
    try:
        build(req, log)
    except DockyardError as exc:
        error = {"message": exc.message, "code": exc.code, "hint": exc.hint,
                 "tail": list(getattr(exc, "tail", []) or [])}
        (req.release / ERROR_FILE).write_text(json.dumps(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
