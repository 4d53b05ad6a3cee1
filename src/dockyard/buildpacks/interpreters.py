"""Find the installed CPython interpreters and pick one for an app's version request.

Discovery globs the usual places (``/usr/bin/python3.N``, ``/usr/local/bin/python3.N``,
pyenv's ``versions/*/bin/python3``, uv-managed pythons) and asks each interpreter its exact
version; we don't use ``uv python list`` because pyenv shims on PATH make it noisy and slow.

Choice: the same minor as requested (the exact patch if installed, else the newest patch);
otherwise uv may download it (``allow_python_downloads``); otherwise the nearest *newer* minor
with a WARNING, unless ``strict_python`` forbids that. Never an older minor: newer syntax
would break, while DigitalOcean's book apps (runtime.txt python-3.10.x) run fine on 3.11.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dockyard.buildpacks.pyversion import Version, VersionRequest, fmt
from dockyard.buildpacks.steps import failed, run_step
from dockyard.errors import CommandFailed, DockyardError
from dockyard.files import write_private
from dockyard.logs import Log
from dockyard.proc import capture

MIN_VERSION = (3, 8)  # uv cannot make environments for older interpreters
DO_DEFAULT = "3.13"
_NAME = re.compile(r"^python3\.\d+$")
_PROBE = "import platform, sys; print(platform.python_implementation(), *sys.version_info[:3])"
_probed: dict[tuple[str, int], Version | None] = {}


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: Version  # (3, 11, 7)

    @property
    def text(self) -> str:
        return fmt(self.version)

    @property
    def minor(self) -> Version:
        return self.version[:2]


def discover(candidates: Iterable[Path] | None = None,
             known: Mapping[str, str] | None = None) -> list[Interpreter]:
    """Installed CPython interpreters, one per real binary, newest first. ``known``: the
    versions ``remembered()`` found (path → "3.11.7", "" for not CPython), not probed again.
    """
    paths = list(candidates) if candidates is not None else candidate_paths()
    unique: dict[Path, Path] = {}
    for path in paths:
        if path.is_file() and os.access(path, os.X_OK):
            unique.setdefault(path.resolve(), path)

    def version(path: Path) -> Version | None:
        if known is not None and str(path) in known:
            return _parsed(known[str(path)])
        return _probe(path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(version, unique.values()))
    found = [Interpreter(p, v) for p, v in zip(unique.values(), versions, strict=True)
             if v is not None and v[:2] >= MIN_VERSION]
    return sorted(found, key=lambda i: i.version, reverse=True)


def remembered(store: Path, candidates: Iterable[Path]) -> dict[str, str]:
    """The versions of the host's interpreters (path → "3.11.7", "" for not CPython),
    probed once per installation and kept in ``store`` (keyed by path and mtime) instead of
    in every build: the deploy worker and the build are new processes each time, and
    probing every interpreter cost ~0.15 s of a warm deploy. ``store`` belongs to root:
    the build gets the answer, never the file.
    """
    try:
        saved = json.loads(store.read_text())["probed"]
        for path, mtime, text in saved:
            _probed[(path, mtime)] = _parsed(text)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        saved = None
    paths = [p for p in candidates if p.is_file() and os.access(p, os.X_OK)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = dict(zip(map(str, paths), pool.map(_probe, paths), strict=True))
    now = [[key[0], key[1], _text(v)] for key, v in _probed.items()
           if key[0] in versions and key[1] == _mtime(Path(key[0]))]
    if now != saved:
        write_private(store, json.dumps({"probed": now}).encode())
    return {path: _text(v) for path, v in versions.items()}


def _text(version: Version | None) -> str:
    """How ``remembered`` writes a version: "3.11.7", "" for not CPython."""
    return fmt(version) if version else ""


def _parsed(text: str) -> Version | None:
    return tuple(int(p) for p in text.split(".")) if text else None


def candidate_paths() -> list[Path]:
    """Where interpreters live on Debian/Ubuntu hosts, pyenv installs and uv installs."""
    paths: list[Path] = []
    for bindir in (Path("/usr/bin"), Path("/usr/local/bin")):
        if bindir.is_dir():
            paths += sorted(p for p in bindir.iterdir() if _NAME.match(p.name))
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    paths += sorted(pyenv.glob("versions/*/bin/python3"))
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    uv_dir = Path(os.environ.get("UV_PYTHON_INSTALL_DIR") or data / "uv" / "python")
    paths += sorted(uv_dir.glob("cpython-*/bin/python3"))
    return paths


def choose(request: VersionRequest | None, found: list[Interpreter], *, fallback: bool,
           log: Log) -> tuple[Interpreter | None, list[str]]:
    """Pick from ``found``; None means "not installed" (the caller may download it).

    ``fallback`` allows the nearest newer minor when the requested one is missing.
    """
    if request is None:
        return _default(found, log)
    fitting = [i for i in found if request.allows(i.version)]
    if request.specifier is not None:
        if fitting:
            chosen = fitting[0]
            log.step(f"Using Python {chosen.text} ({chosen.path}), the newest installed that "
                     f"satisfies {request.source} {request.text!r}")
            return chosen, []
        return None, []
    same = [i for i in found if i.minor == request.minor]
    if same:
        return _same_minor(request, fitting or same, log)
    newer = sorted((i for i in found if i.minor > (request.minor or ())),
                   key=lambda i: (i.minor, tuple(-p for p in i.version)))
    if not fallback or not newer:
        return None, []
    return newer[0], _warn_newer(request, newer[0], log)


def missing_error(request: VersionRequest | None, found: list[Interpreter],
                  strict: bool) -> DockyardError:
    """``build.python_missing``: what was asked, what is installed, how to fix it."""
    asked = f"Python {request.text} ({request.source})" if request else "a Python interpreter"
    installed = ", ".join(f"{i.text} ({i.path})" for i in found) or "none"
    why = " and strict_python forbids another minor version" if strict and found else ""
    return DockyardError(
        f"{asked} is not installed on this host{why}; installed: {installed}",
        code="build.python_missing",
        hint="Install that Python (e.g. `uv python install X.Y` or your distribution's "
             "package), pin an installed version in .python-version, or allow downloads "
             "(allow_python_downloads).")


def download(request: VersionRequest, uv: str, env: dict[str, str], log: Log) -> Interpreter:
    """Let uv fetch the requested interpreter (only with ``allow_python_downloads``)."""
    want = request.specifier or fmt(request.version or ())
    env = {**env, "UV_PYTHON_DOWNLOADS": "automatic"}
    log.step(f"Python {request.text} ({request.source}) is not installed: downloading it "
             "with uv")
    hint = ("Check network access to uv's Python downloads, or install the interpreter on "
            "the host yourself.")
    run_step([uv, "python", "install", want], log=log, env=env,
             code="build.python_download_failed", what="uv python install",
             on_fail=lambda exc: failed(exc, f"uv could not download Python {want}", hint))
    try:
        path = Path(capture([uv, "python", "find", "--python-preference", "only-managed",
                             want], env=env).strip())
    except CommandFailed as exc:
        raise DockyardError(f"uv installed Python {want} but cannot find it: {exc.message}",
                            code="build.python_download_failed", hint=hint) from None
    found = discover([path])
    if not found:
        raise DockyardError(f"uv installed Python {want} but {path} does not run",
                            code="build.python_download_failed")
    return found[0]


def _default(found: list[Interpreter], log: Log) -> tuple[Interpreter | None, list[str]]:
    if not found:
        return None, []
    chosen = found[0]
    note = (f"No Python version requested (runtime.txt, .python-version or requires-python):"
            f" using the newest installed, {chosen.text}; DigitalOcean would use "
            f"{DO_DEFAULT}. Pin one in .python-version for repeatable builds.")
    log.step(f"Using Python {chosen.text} ({chosen.path})")
    log.child(note)
    return chosen, [note]


def _same_minor(request: VersionRequest, pool: list[Interpreter],
                log: Log) -> tuple[Interpreter, list[str]]:
    chosen = pool[0]
    log.step(f"Using Python {chosen.text} ({chosen.path}) for {request.text} from "
             f"{request.source}")
    notes: list[str] = []
    if request.version and len(request.version) == 3 and chosen.version != request.version:
        notes.append(f"{request.source} asks for {request.text}; {fmt(request.version)} is not "
                     f"installed, so the same minor version {chosen.text} is used")
        log.child(notes[-1])
    return chosen, notes


def _warn_newer(request: VersionRequest, chosen: Interpreter, log: Log) -> list[str]:
    note = (f"WARNING: Python {fmt(request.minor or ())} ({request.text} from {request.source})"
            f" is not installed on this host; building with Python {chosen.text} "
            f"({chosen.path}), the nearest newer version.")
    log.error(note)
    log.error("Install the requested version, or update "
              f"{request.source} to {chosen.text}, to silence this warning.")
    return [note]


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _probe(path: Path) -> Version | None:
    """Ask an interpreter its version (cached per path and mtime)."""
    mtime = _mtime(path)
    if mtime is None:
        return None
    key = (str(path), mtime)
    if key not in _probed:
        _probed[key] = _run_probe(path)
    return _probed[key]


def _run_probe(path: Path) -> Version | None:
    try:
        out = subprocess.run([str(path), "-I", "-c", _PROBE], capture_output=True, text=True,
                             timeout=15, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    if out.returncode != 0 or len(parts) != 4 or parts[0] != "CPython":
        return None
    return tuple(int(p) for p in parts[1:])
