"""Run a short piece of work in a child process and get its JSON result back.

The API server is long-running and should stay small: validating specs (pydantic models,
ruamel.yaml) and database work (psycopg) would keep ~25 MB of libraries in it for good. Those
calls go through ``call(name, **kwargs)`` instead, ``name`` being a key of
``entrypoints.OFFLOADED``: the child imports what it needs, prints one JSON line, exits, and
its memory goes with it. A ``DockyardError`` raised in the child is raised again in the
parent with the same code, status and field issues.
"""

from __future__ import annotations

import importlib
import json
import logging
import subprocess
import sys
from typing import Any

from dockyard.errors import DockyardError


class OffloadedError(DockyardError):
    """An error from the child, carrying its code, HTTP status and spec issues."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data.get("message", "error"), code=data.get("code"),
                         hint=data.get("hint"))
        self.status = int(data.get("status", 400))
        self.issues = [Issue(**i) for i in data.get("issues", [])]


class Issue:
    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path, self.message, self.line = path, message, line


def call(entry: str, /, timeout: float = 600, **kwargs: Any) -> Any:
    """``entry`` is a key of ``entrypoints.OFFLOADED``; ``kwargs`` must be JSON-able (and may
    use any name, ``name`` included)."""
    from dockyard.entrypoints import OFFLOAD, OFFLOADED, argv

    target = OFFLOADED[entry]
    res = subprocess.run(argv(OFFLOAD, entry),
                         input=json.dumps(kwargs), capture_output=True, text=True,
                         timeout=timeout)
    lines = res.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, ValueError) as exc:
        # A crash, not a refusal: its traceback goes to the log, never into an answer.
        logging.getLogger("dockyard.offload").error("%s failed (exit %s):\n%s", target,
                                                    res.returncode, res.stderr.strip())
        err = DockyardError(f"{entry} failed inside Dockyard (exit {res.returncode}); the "
                            "API server's log has the details", code="internal_error")
        err.status = 500
        raise err from exc
    if "error" in out:
        raise OffloadedError(out["error"])
    return out["result"]


def error_json(exc: DockyardError) -> dict[str, Any]:
    issues = [{"path": i.path, "message": i.message, "line": i.line}
              for i in getattr(exc, "issues", None) or []]
    return {"message": exc.message, "code": exc.code, "hint": exc.hint,
            "status": exc.status, "issues": issues}


def main(args: list[str]) -> int:
    from dockyard.entrypoints import OFFLOADED

    module, _, name = OFFLOADED[args[1]].partition(":")
    kwargs = json.loads(sys.stdin.read() or "{}")
    try:
        result = getattr(importlib.import_module(module), name)(**kwargs)
    except DockyardError as exc:
        print(json.dumps({"error": error_json(exc)}))
        return 0
    print(json.dumps({"result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
