"""Which Python an app asks for: runtime.txt > .python-version > requires-python (§12).

``runtime.txt`` is deprecated upstream but DigitalOcean's docs still use it, so it keeps the
highest precedence, as in heroku-buildpack-python v289. ``requires-python`` is our addition:
DigitalOcean ignores it, but an app that states it should not be built with a Python it
excludes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import DockyardError

Version = tuple[int, ...]
_RUNTIME = re.compile(r"^python-(\d+)\.(\d+)(?:\.(\d+))?$")
_PLAIN = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_CLAUSE = re.compile(r"^(~=|==|!=|<=|>=|<|>|===)\s*([0-9][0-9.]*)(\.\*)?$")


@dataclass(frozen=True)
class VersionRequest:
    """A requested version (``3.10`` / ``3.10.4``) or a ``requires-python`` specifier."""

    source: str  # "runtime.txt", ".python-version", "pyproject.toml requires-python"
    text: str  # as written, for messages
    version: Version | None = None  # (3, 10) or (3, 10, 4)
    specifier: str | None = None

    @property
    def minor(self) -> Version | None:
        return self.version[:2] if self.version else None

    def allows(self, version: Version) -> bool:
        if self.specifier is not None:
            return matches(self.specifier, version)
        assert self.version is not None
        return version[: len(self.version)] == self.version


def read_request(app: Path) -> VersionRequest | None:
    """The app's Python request, by precedence, or None when it states none."""
    runtime = app / "runtime.txt"
    if runtime.is_file():
        text = runtime.read_text(encoding="utf-8", errors="replace").strip()
        m = _RUNTIME.match(text)
        if not m:
            raise _invalid("runtime.txt", text, "python-X.Y or python-X.Y.Z, e.g. python-3.12.4")
        return VersionRequest("runtime.txt", text, _ints(m))
    pin = app / ".python-version"
    if pin.is_file():
        return _read_pin(pin)
    return _requires_python(app / "pyproject.toml")


def matches(specifier: str, version: Version) -> bool:
    """PEP 440 ``requires-python`` clauses, enough for release versions (no pre-releases)."""
    return all(_clause_ok(c.strip(), version) for c in specifier.split(",") if c.strip())


def fmt(version: Version) -> str:
    return ".".join(str(p) for p in version)


def _read_pin(pin: Path) -> VersionRequest:
    lines = [ln.strip() for ln in pin.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    m = _PLAIN.match(lines[0]) if len(lines) == 1 else None
    if not m:
        raise _invalid(".python-version", " | ".join(lines) or "(empty)",
                       "exactly one line X.Y or X.Y.Z, e.g. 3.12")
    return VersionRequest(".python-version", lines[0], _ints(m))


def _requires_python(pyproject: Path) -> VersionRequest | None:
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DockyardError(f"pyproject.toml is not valid TOML: {exc}",
                            code="build.pyproject_invalid",
                            hint="Fix the file so `python -m tomllib` can read it.") from exc
    spec = data.get("project", {}).get("requires-python")
    if not isinstance(spec, str) or not spec.strip():
        return None
    for clause in spec.split(","):
        if clause.strip() and not _CLAUSE.match(clause.strip()):
            raise _invalid("pyproject.toml requires-python", spec,
                           "PEP 440 clauses such as '>=3.10,<3.13'")
    return VersionRequest("pyproject.toml requires-python", spec.strip(), specifier=spec)


def _clause_ok(clause: str, version: Version) -> bool:
    m = _CLAUSE.match(clause)
    assert m, clause
    op, raw, star = m.group(1), m.group(2), m.group(3)
    want = tuple(int(p) for p in raw.split(".") if p)
    if star:  # ==3.11.* / !=3.12.*
        same = tuple(version[: len(want)]) == want
        return not same if op == "!=" else same
    if op == "~=":
        return _pad(version) >= _pad(want) and version[: len(want) - 1] == want[:-1]
    a, b = _pad(version), _pad(want)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
            "===": a == b, "!=": a != b}[op]


def _pad(version: Version) -> Version:
    return (tuple(version) + (0, 0, 0))[:3]


def _ints(m: re.Match[str]) -> Version:
    return tuple(int(g) for g in m.groups() if g is not None)


def _invalid(where: str, found: str, expected: str) -> DockyardError:
    return DockyardError(f"{where}: expected {expected}, found {found!r}",
                         code="build.python_version_invalid",
                         hint=f"Fix {where.split()[0]} in the component's source_dir.")
