"""Node.js on this host: which ``node`` runs, whether ``engines.node`` allows it, and which
package manager the lockfile asks for.

Node comes from the host (Debian's ``nodejs``), never downloaded: the build log says which
version runs, and a ``package.json`` whose ``engines.node`` that version does not satisfy
fails the build before anything is installed. Ranges are npm's, read by ``semantic_version``'s
``NpmSpec`` (the same grammar as node-semver), not by a parser of our own.

Package manager (heroku-buildpack-nodejs's rule): ``packageManager`` in package.json names
the tool; else the lockfile does — ``pnpm-lock.yaml`` → pnpm, ``yarn.lock`` → yarn,
``package-lock.json``/``npm-shrinkwrap.json`` → npm; no lockfile → ``npm install``. yarn and
pnpm run from the host when installed, else through corepack (shipped with Node); when
neither is there the build says so.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import semantic_version

from dockyard.buildpacks.steps import DEFAULT_PATH
from dockyard.errors import CommandFailed, DockyardError
from dockyard.proc import capture

LOCKFILES = (("pnpm-lock.yaml", "pnpm"), ("yarn.lock", "yarn"),
             ("package-lock.json", "npm"), ("npm-shrinkwrap.json", "npm"))
_PACKAGE_MANAGER = re.compile(r"^(npm|yarn|pnpm)@(\d[\w.+-]*)")


@dataclass(frozen=True)
class Node:
    path: Path
    version: str  # "20.20.2"

    @property
    def text(self) -> str:
        return f"Node.js {self.version}"


@dataclass(frozen=True)
class PackageManager:
    name: str  # npm, yarn, pnpm
    lockfile: str | None  # the file that pinned the choice (None: no lockfile)
    prefix: tuple[str, ...]  # how to run it: ("/usr/bin/npm",) or ("corepack", "yarn")
    version: str
    berry: bool = False  # yarn 2+ (Plug'n'Play by default: no node_modules to share)

    @property
    def text(self) -> str:
        via = " through corepack" if self.prefix[0].endswith("corepack") else ""
        return f"{self.name} {self.version}{via}"

    def install_argv(self) -> list[str]:
        """Install everything, devDependencies too: the build script usually needs them
        (heroku-buildpack-nodejs installs them and so does DigitalOcean)."""
        if self.name == "npm":
            verb = ["ci"] if self.lockfile else ["install"]
            return [*self.prefix, *verb, "--include=dev", "--no-audit", "--no-fund",
                    "--prefer-offline"]
        if self.name == "pnpm":
            return [*self.prefix, "install", "--frozen-lockfile", "--prod=false"]
        if self.berry:
            return [*self.prefix, "install", "--immutable"]
        return [*self.prefix, "install", "--frozen-lockfile", "--production=false",
                "--non-interactive"]

    def run_argv(self, script: str) -> list[str]:
        return [*self.prefix, "run", script]


def read_package_json(app: Path) -> dict[str, object]:
    """package.json as a dict; an unreadable one is a build error naming the problem."""
    path = app / "package.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DockyardError("package.json not found in the source_dir",
                            code="build.package_json_missing",
                            hint="Point source_dir at the folder with package.json.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DockyardError(f"package.json is not valid JSON: {exc}",
                            code="build.package_json_invalid",
                            hint="Fix package.json so `node -e \"require('./package.json')\"` "
                                 "reads it.") from None
    if not isinstance(data, dict):
        raise DockyardError("package.json must hold a JSON object",
                            code="build.package_json_invalid")
    return data


def find_node() -> Node:
    """The host's ``node`` (on the default PATH, as the build runs it) and its version."""
    found = shutil.which("node", path=DEFAULT_PATH)
    if found is None:
        raise DockyardError(
            f"Node.js is not installed on this host (no `node` in {DEFAULT_PATH})",
            code="build.node_missing",
            hint="Install Debian's Node.js: `apt-get install nodejs npm` (`make setup` does).")
    return Node(Path(found), _node_version(found))


@functools.cache
def _node_version(path: str) -> str:
    return capture([path, "--version"]).strip().lstrip("v")


def check_engines(pkg: dict[str, object], node: Node) -> str | None:
    """The ``engines.node`` range, if any; raise when ``node`` cannot satisfy it."""
    engines = pkg.get("engines")
    wanted = engines.get("node") if isinstance(engines, dict) else None
    if wanted is None:
        return None
    if not isinstance(wanted, str) or not wanted.strip():
        raise _engines_invalid(repr(wanted))
    try:
        spec = semantic_version.NpmSpec(wanted.strip())
    except ValueError:
        raise _engines_invalid(repr(wanted)) from None
    if not spec.match(semantic_version.Version(node.version)):
        major = node.version.split(".")[0]
        raise DockyardError(
            f"package.json engines.node is {wanted!r}, but this host runs {node.text} "
            f"({node.path}); Dockyard uses the host's Node.js and cannot install another",
            code="build.node_version_unavailable",
            hint=f"Widen engines.node to admit {node.version} (e.g. \">={major}\"), or "
                 "install a Node.js that satisfies it on the host.")
    return wanted.strip()


def _engines_invalid(found: str) -> DockyardError:
    return DockyardError(f"package.json engines.node: expected an npm version range such as "
                         f"\">=18\" or \"20.x\", found {found}",
                         code="build.node_engines_invalid",
                         hint="Fix engines.node in package.json.")


def choose_manager(names: frozenset[str] | set[str], pkg: dict[str, object]
                   ) -> tuple[str, str | None, str | None, list[str]]:
    """``(tool, lockfile, pinned version, notes)`` from packageManager and the lockfiles."""
    locks = [(lock, tool) for lock, tool in LOCKFILES if lock in names]
    notes: list[str] = []
    declared = pkg.get("packageManager")
    m = _PACKAGE_MANAGER.match(declared) if isinstance(declared, str) else None
    if m:
        tool = m.group(1)
        lock = next((lk for lk, t in locks if t == tool), None)
        return tool, lock, m.group(2), notes
    if not locks:
        return "npm", None, None, notes
    lock, tool = locks[0]
    if len({t for _, t in locks}) > 1:
        notes.append(f"WARNING: several lockfiles ({', '.join(lk for lk, _ in locks)}): "
                     f"using {lock} ({tool}); delete the others so every tool agrees")
    return tool, lock, None, notes


def package_manager(app: Path, node: Node, pkg: dict[str, object], corepack_env: dict[str, str]
                    ) -> tuple[PackageManager, list[str]]:
    """The tool to install with, runnable on this host, or a build error saying what is
    missing. A version pinned by ``packageManager`` comes through corepack when it can."""
    tool, lock, pinned, notes = choose_manager(frozenset(p.name for p in app.iterdir()), pkg)
    search = f"{node.path.parent}:{DEFAULT_PATH}"
    local = shutil.which(tool, path=search)
    corepack = shutil.which("corepack", path=search) if tool != "npm" else None
    if corepack and (pinned or not local):
        spec = f"{tool}@{pinned}" if pinned else tool
        version = _corepack_version(corepack, spec, corepack_env)
        return PackageManager(tool, lock, (corepack, spec), version,
                              _is_berry(app, tool, version)), notes
    if local:
        version = _tool_version(local)
        if pinned and version != pinned:
            notes.append(f"packageManager asks for {tool}@{pinned}; using the host's {tool} "
                         f"{version} (no corepack to fetch the pinned one)")
        return PackageManager(tool, lock, (local,), version,
                              _is_berry(app, tool, version)), notes
    because = f"{lock} asks for {tool}" if lock else f"packageManager names {tool}"
    raise DockyardError(
        f"{because}, but {tool} is not installed on this host and corepack (which fetches "
        f"it) is not available either", code="build.package_manager_missing",
        hint=f"Install {tool} on the host (`npm install -g {tool}`), or a Node.js that ships "
             "corepack; or commit a package-lock.json instead (`npm install`).")


def _is_berry(app: Path, tool: str, version: str) -> bool:
    return tool == "yarn" and ((app / ".yarnrc.yml").is_file() or not version.startswith("1."))


def _tool_version(path: str) -> str:
    try:
        return capture([path, "--version"]).strip()
    except CommandFailed:
        return "unknown"


def _corepack_version(corepack: str, spec: str, env: dict[str, str]) -> str:
    try:
        return capture([corepack, spec, "--version"], env=env).strip().splitlines()[-1]
    except CommandFailed as exc:
        raise DockyardError(
            f"corepack could not provide {spec}: {exc.message}",
            code="build.package_manager_missing",
            hint="corepack downloads package managers from the npm registry: check that this "
                 "host reaches it. If your registry does not sign packages, set "
                 "COREPACK_INTEGRITY_KEYS=0 as a BUILD_TIME variable.") from None


def scripts(pkg: dict[str, object]) -> dict[str, str]:
    raw = pkg.get("scripts")
    return {k: v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}


def user_npm_cache() -> Path:
    """npm's own cache directory for this user (tests and benchmarks share it to stay warm,
    as they share uv's)."""
    npm = shutil.which("npm", path=DEFAULT_PATH)
    path = Path(capture([npm, "config", "get", "cache"]).strip()) if npm else \
        Path.home() / ".npm"
    path.mkdir(parents=True, exist_ok=True)
    return path
