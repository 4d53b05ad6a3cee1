"""Read an app's files: Python markers, Procfile, manage.py and the WSGI module.

Pure functions over a directory; nothing here runs the app.
"""

from __future__ import annotations

import re
from pathlib import Path

from dockyard.buildpacks.deps import MARKERS

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "staticfiles", ".tox"}
_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([\w.]+)['"]""")


def python_markers(app: Path) -> list[str]:
    """The files that make this a Python app (§12 detection), in a fixed order."""
    return [name for name in MARKERS if (app / name).is_file()]


def procfile(app: Path) -> dict[str, str]:
    """``Procfile`` process types (``web: gunicorn …``); later duplicates win, as on Heroku."""
    path = app / "Procfile"
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"^([A-Za-z0-9_-]+):\s*(.+?)\s*$", line)
        if m and not line.lstrip().startswith("#"):
            out[m.group(1)] = m.group(2)
    return out


def find_manage_py(app: Path, max_depth: int = 3) -> Path | None:
    """The shallowest ``manage.py`` within ``max_depth`` levels (``find -maxdepth 3``)."""
    level = [app]
    for _ in range(max_depth):
        hits = sorted(d / "manage.py" for d in level if (d / "manage.py").is_file())
        if hits:
            return hits[0]
        level = sorted(c for d in level for c in _subdirs(d))
    return None


def wsgi_module(app: Path) -> tuple[str, Path] | None:
    """``(dotted module, dir to run from)`` for the Django project's ``wsgi.py``.

    The package is the one named by manage.py's DJANGO_SETTINGS_MODULE when it has a
    ``wsgi.py``, else the only package next to manage.py that has one. A plain app with a
    top-level ``wsgi.py`` gives ``wsgi``.
    """
    manage = find_manage_py(app)
    if manage is None:
        return ("wsgi", app) if (app / "wsgi.py").is_file() else None
    base = manage.parent
    m = _SETTINGS.search(manage.read_text(encoding="utf-8", errors="replace"))
    if m:
        package = m.group(1).rsplit(".", 1)[0]
        if (base.joinpath(*package.split(".")) / "wsgi.py").is_file():
            return f"{package}.wsgi", base
    found = sorted(d.name for d in _subdirs(base) if (d / "wsgi.py").is_file())
    return (f"{found[0]}.wsgi", base) if len(found) == 1 else None


def default_run_command(app: Path, kind: str) -> tuple[str | None, str]:
    """The start command a component gets without ``run_command``, and where it came from."""
    procs = procfile(app)
    wanted = {"service": "web", "worker": "worker"}.get(kind)
    if wanted and wanted in procs:
        return procs[wanted], f"Procfile '{wanted}:' line"
    if kind != "service":
        return None, "no Procfile 'worker:' line" if kind == "worker" else f"{kind}s need one"
    found = wsgi_module(app)
    if found is None:
        return None, "no Procfile 'web:' line and no wsgi.py next to manage.py"
    module, base = found
    rel = base.relative_to(app)
    chdir = f" --chdir {rel}" if rel.parts else ""
    return f"gunicorn{chdir} {module}", "/".join([*rel.parts, *module.split(".")]) + ".py"


def _subdirs(d: Path) -> list[Path]:
    try:
        return [c for c in d.iterdir() if c.is_dir() and not c.is_symlink()
                and c.name not in SKIP_DIRS and not c.name.startswith(".")]
    except OSError:
        return []
