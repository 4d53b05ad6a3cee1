"""Go on this host and what ``go.mod`` asks of it: the toolchain, the ``go`` directive, the
module path, and which packages to build.

Go is Debian's ``golang-go`` (the host's ``go``), never downloaded: a ``go`` (or
``toolchain``) directive newer than it fails the build before anything runs, naming both
versions. Binaries are named as ``go build -o bin/`` names them: the last element of the
import path, skipping a ``/vN`` major-version suffix.
"""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dockyard.buildpacks.steps import DEFAULT_PATH
from dockyard.errors import DockyardError
from dockyard.proc import capture

_GO_DIRECTIVE = re.compile(r"^go\s+(\d+(?:\.\d+){1,2})\s*$", re.M)
_TOOLCHAIN = re.compile(r"^toolchain\s+go(\d+(?:\.\d+){1,2})\S*\s*$", re.M)
_MODULE = re.compile(r"^module\s+\"?([^\s\"]+)\"?\s*$", re.M)
_INSTALL = re.compile(r"^//\s*\+heroku\s+install\s+(.+)$", re.M)
_MAJOR = re.compile(r"^v\d+$")


@dataclass(frozen=True)
class Go:
    path: Path
    version: str  # "1.19.8"

    @property
    def text(self) -> str:
        return f"go{self.version}"


@dataclass(frozen=True)
class GoMod:
    module: str
    go: str | None  # the go directive, e.g. "1.19"
    toolchain: str | None
    install: tuple[str, ...]  # package patterns from a `// +heroku install` comment


def find_go() -> Go:
    found = shutil.which("go", path=DEFAULT_PATH)
    if found is None:
        raise DockyardError(f"Go is not installed on this host (no `go` in {DEFAULT_PATH})",
                            code="build.go_missing",
                            hint="Install Debian's Go: `apt-get install golang-go` "
                                 "(`make setup` does).")
    return Go(Path(found), _go_version(found))


@functools.cache
def _go_version(path: str) -> str:
    return capture([path, "env", "GOVERSION"]).strip().removeprefix("go")


def read_go_mod(app: Path) -> GoMod:
    try:
        text = (app / "go.mod").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise DockyardError("go.mod not found in the source_dir", code="build.go_mod_missing",
                            hint="Point source_dir at the module's folder, or run "
                                 "`go mod init <module path>` and commit go.mod.") from None
    module = _MODULE.search(text)
    if module is None:
        raise DockyardError("go.mod has no `module` line", code="build.go_mod_invalid",
                            hint="go.mod must start with `module <path>`.")
    go, toolchain, install = (_GO_DIRECTIVE.search(text), _TOOLCHAIN.search(text),
                              _INSTALL.search(text))
    return GoMod(module.group(1), go.group(1) if go else None,
                 toolchain.group(1) if toolchain else None,
                 tuple(install.group(1).split()) if install else ())


def check_directive(mod: GoMod, go: Go) -> None:
    """Refuse a module that needs a newer Go than the host's (say which, and what to do)."""
    for what, wanted in (("go directive", mod.go), ("toolchain directive", mod.toolchain)):
        if wanted and _tuple(wanted) > _tuple(go.version)[: len(_tuple(wanted))]:
            raise DockyardError(
                f"go.mod's {what} asks for Go {wanted}, but this host has {go.text} "
                f"({go.path}); Dockyard builds with the host's Go and does not download "
                "toolchains", code="build.go_version_unavailable",
                hint=f"Lower the directive to {'.'.join(go.version.split('.')[:2])} if the "
                     "code allows it, or install a newer Go on the host.")


def binary_name(import_path: str) -> str:
    parts = import_path.rstrip("/").split("/")
    if len(parts) > 1 and _MAJOR.match(parts[-1]):
        return parts[-2]
    return parts[-1]


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])
