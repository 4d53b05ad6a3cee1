"""``node_modules`` shared by releases, keyed by the lockfile (``keyed.Keyed``).

The key holds Node's version, the package manager and its version, the lockfile, the parts
of package.json that change what is installed (dependencies, overrides, install scripts …),
``.npmrc``/``.yarnrc`` and the ``npm_config_*``/``YARN_*``/``PNPM_*`` settings. A commit that
changes only code (or package.json's ``version``, or another script) finds the key of the
previous build: no install runs and the build log says ``Reusing node_modules``.

On a miss the lockfile's tool installs into the app's own copy (so install scripts see the
app's files), and the result is moved into the cache; the app then gets a symlink to it.
Two cases install in place on every build instead, and say so: npm/yarn workspaces (each
workspace has node_modules of its own) and yarn 2+ (Plug'n'Play keeps no node_modules).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from dockyard.buildpacks.keyed import Keyed, file_hashes, settings_hash
from dockyard.buildpacks.nodetools import Node, PackageManager
from dockyard.buildpacks.steps import failed, run_step
from dockyard.buildpacks.types import BuildRequest
from dockyard.errors import CommandFailed
from dockyard.logs import Log

INSTALL_FIELDS = ("dependencies", "devDependencies", "optionalDependencies",
                  "peerDependencies", "bundleDependencies", "bundledDependencies", "overrides",
                  "resolutions", "pnpm", "workspaces", "packageManager")
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare")
CONFIG_FILES = (".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs")
SETTINGS = ("NPM_CONFIG_", "YARN_", "PNPM_", "COREPACK_NPM_REGISTRY")


def install(req: BuildRequest, app: Path, pkg: dict[str, object], node: Node,
            manager: PackageManager, env: dict[str, str], log: Log) -> tuple[Path | None, bool]:
    """Give ``app`` its node_modules; return the shared directory (None: in place) and
    whether it was reused."""
    committed = app / "node_modules"
    if committed.exists() or committed.is_symlink():
        log.error("WARNING: the repository contains node_modules; it is replaced by a clean "
                  "install (add node_modules to .gitignore)")
        _remove(committed)
    where = manager.lockfile or "package.json (no lockfile)"
    in_place = _in_place_reason(pkg, manager)
    if in_place:
        log.step(f"Installing dependencies with {manager.text} from {where}, in place "
                 f"({in_place})")
        _run_install(req, app, manager, env, log)
        return None, False
    cache = Keyed(req.home.build_cache / "node", state(app, pkg, node, manager, env),
                  req.home.build_cache / "history" / f"{history_name(req)}-node.json",
                  "node_modules", force=req.force_rebuild)

    def create(fresh: Path) -> None:
        log.step(f"Installing dependencies with {manager.text} from {where}")
        _run_install(req, app, manager, env, log)
        if committed.is_dir():
            shutil.move(str(committed), fresh / "node_modules")
        else:  # no dependencies at all: an empty folder keeps the layout the same
            (fresh / "node_modules").mkdir()

    final, hit = cache.ensure(create, log)
    modules = final / "node_modules"
    _remove(committed)
    committed.symlink_to(modules, target_is_directory=True)
    return modules, hit


def state(app: Path, pkg: dict[str, object], node: Node, manager: PackageManager,
          env: dict[str, str]) -> dict[str, object]:
    """What decides node_modules' contents, readable so a miss can say what changed."""
    files = file_hashes(app, [f for f in (manager.lockfile, *CONFIG_FILES) if f])
    files["package.json dependencies"] = _install_hash(pkg)
    return {"Node.js": node.version, "package manager": manager.text, "files": files,
            "settings": settings_hash(env, SETTINGS)}


def history_name(req: BuildRequest) -> str:
    """Per app and component: ``release`` is ``…/apps/<app>/releases/<deployment>/<comp>``."""
    owner = str(req.release.parent.parent.resolve())
    return f"{hashlib.sha256(owner.encode()).hexdigest()[:16]}-{req.component}"


def _install_hash(pkg: dict[str, object]) -> str:
    scripts = pkg.get("scripts") if isinstance(pkg.get("scripts"), dict) else {}
    picked = {k: pkg[k] for k in INSTALL_FIELDS if k in pkg}
    picked["scripts"] = {k: v for k, v in scripts.items() if k in INSTALL_SCRIPTS}  # type: ignore[union-attr]
    return hashlib.sha256(json.dumps(picked, sort_keys=True).encode()).hexdigest()


def _in_place_reason(pkg: dict[str, object], manager: PackageManager) -> str | None:
    if pkg.get("workspaces"):
        return "workspaces: each has node_modules of its own, so none is shared"
    if manager.berry:
        return "yarn 2+ keeps no node_modules to share (its own cache is reused)"
    return None


def _run_install(req: BuildRequest, app: Path, manager: PackageManager, env: dict[str, str],
                 log: Log) -> None:
    argv = manager.install_argv()
    run_step(argv, log=log, cwd=app, env=env, code="build.dependencies_failed",
             what=f"{manager.name} {argv[len(manager.prefix)]}",
             on_fail=lambda exc: _install_failed(req, manager, exc))


def _install_failed(req: BuildRequest, manager: PackageManager, exc: CommandFailed
                    ) -> CommandFailed:
    text = "\n".join(exc.output)
    if manager.lockfile and ("in sync" in text or "lockfile needs to be updated" in text
                             or "ERR_PNPM_OUTDATED_LOCKFILE" in text
                             or "lockfile would have been modified" in text.lower()):
        return failed(exc, f"{manager.lockfile} is out of date with package.json ({exc.message})",
                      f"Run `{manager.name} install` and commit {manager.lockfile}.",
                      code="build.lockfile_out_of_sync")
    return failed(exc, f"installing the dependencies of '{req.component}' with {manager.text} "
                       f"failed ({exc.message}); its error is in the build log above",
                  "Check the package names and versions in package.json, and that this host "
                  "can reach the npm registry.", code="build.dependencies_failed")


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
