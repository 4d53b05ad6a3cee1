"""The Node.js buildpack: services, workers and jobs from ``package.json``, and static sites
built by Node (React, Vue, any ``build`` script).

Order (heroku-buildpack-nodejs, which DigitalOcean's Node.js buildpack follows): copy the app
→ which Node runs (``engines.node`` checked) → package manager from the lockfile → dependencies
into the shared ``node_modules`` cache (``nodemodules``) → ``build_command`` if the spec sets
one, else the ``build`` script → default run command (Procfile, else ``npm start``). A static
site then publishes ``output_dir``, or the first of ``_static``, ``dist``, ``public``, ``build``.

``node_modules`` lives outside the release, keyed by the lockfile: the release's
``node_modules`` is a symlink to it, so a code-only commit reuses it and the per-instance copy
of the app stays small. Instances get ``<node_modules>/.bin`` on PATH and
``NODE_ENV=production`` unless the spec sets it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.buildpacks import nodemodules
from dockyard.buildpacks.detect import procfile
from dockyard.buildpacks.nodetools import (
    LOCKFILES,
    Node,
    PackageManager,
    check_engines,
    find_node,
    package_manager,
    read_package_json,
    scripts,
)
from dockyard.buildpacks.static import publish_site
from dockyard.buildpacks.steps import (
    DEFAULT_PATH,
    build_env,
    copy_app,
    failed,
    run_build_command,
    run_step,
)
from dockyard.buildpacks.types import BuildRequest, BuildResult, Probe
from dockyard.logs import Log

NODE_ENV = "production"  # Heroku's and DigitalOcean's default, at build and at run time
SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"  # Debian's bundle of the system's CAs


@dataclass
class NodeBuild:
    """What the steps found out, for the result and the log."""

    node: Node
    manager: PackageManager
    modules: Path | None  # the shared node_modules (None: installed in place)
    hit: bool
    built: bool  # a build script or build_command ran
    notes: list[str] = field(default_factory=list)


class NodeBuildpack:
    """Node.js apps (Debian's nodejs on the host) and static sites built with Node."""

    name = "node-js"
    title = "Node.js"
    slugs: tuple[str, ...] = ("node-js",)
    looks_for = ("package.json",)

    def detect(self, probe: Probe) -> str | None:
        names = probe.files.names()
        if "package.json" not in names:
            return None
        lock = next((lk for lk, _tool in LOCKFILES if lk in names), None)
        return "found package.json" + (f" and {lock}" if lock else " (no lockfile)")

    def build(self, req: BuildRequest, log: Log) -> BuildResult:
        if req.kind != "static_site":
            app = copy_app(req.src, req.release / "app")
            out = self.steps(req, app, log)
            command = default_run_command(app, req.kind, log)
            return BuildResult(self.name, req.release, app, None, None, None, out.hit, command,
                               out.notes, runtime=out.node.text, extra_env={"NODE_ENV": NODE_ENV},
                               extra_path=[str(out.modules / ".bin")] if out.modules else [],
                               caches=[str(out.modules)] if out.modules else [])
        work_root = req.home.build_cache / "work"
        work_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f"{req.component}-", dir=work_root) as tmp:
            work = copy_app(req.src, Path(tmp) / "src")
            out = self.steps(req, work, log)
            (work / "node_modules").unlink(missing_ok=True)  # never published
            site = publish_site(req, work, built=out.built, log=log, notes=out.notes)
        return BuildResult(self.name, req.release, None, site, None, None, out.hit, None,
                           out.notes, runtime=out.node.text)

    def steps(self, req: BuildRequest, app: Path, log: Log) -> NodeBuild:
        """Node → package manager → dependencies → build; the table of contents."""
        pkg = read_package_json(app)
        node = pick_node(pkg, log)
        env = node_env(req, app, node, log)
        manager, notes = package_manager(app, node, pkg, env)
        for note in notes:
            (log.error if note.startswith("WARNING") else log.child)(note)
        modules, hit = nodemodules.install(req, app, pkg, node, manager, env, log)
        built = run_build(req, app, pkg, manager, env, log)
        return NodeBuild(node, manager, modules, hit, built, notes)


def pick_node(pkg: dict[str, object], log: Log) -> Node:
    node = find_node()
    wanted = check_engines(pkg, node)
    if wanted:
        log.step(f"Using {node.text} ({node.path}): satisfies engines.node {wanted!r}")
    else:
        log.step(f"Using {node.text} ({node.path})")
        log.child("package.json sets no engines.node; DigitalOcean would pick its default "
                  "Node.js. Add engines.node to say which versions the app supports.")
    return node


def node_env(req: BuildRequest, app: Path, node: Node, log: Log) -> dict[str, str]:
    """The build's environment: the spec's build variables, Node's tools first on PATH, the
    shared download caches, and no prompts."""
    env = build_env(req, None, log)
    env["PATH"] = f"{app / 'node_modules' / '.bin'}:{node.path.parent}:{DEFAULT_PATH}"
    env.setdefault("NODE_ENV", NODE_ENV)
    env.setdefault("npm_config_cache", str(req.home.tool_cache("npm")))
    env.setdefault("COREPACK_HOME", str(req.home.tool_cache("corepack")))
    env.setdefault("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0")
    env.setdefault("COREPACK_ENABLE_AUTO_PIN", "0")  # never edit the app's package.json
    for key in ("npm_config_update_notifier", "npm_config_fund", "npm_config_audit"):
        env.setdefault(key, "false")
    env.setdefault("CI", "true")  # tools print plain progress, no spinners
    bundle = env.get("SSL_CERT_FILE") or SYSTEM_CA
    if Path(bundle).is_file():  # trust the system's CAs, as git, pip and uv do (corepack)
        env.setdefault("NODE_EXTRA_CA_CERTS", bundle)
    return env


def run_build(req: BuildRequest, app: Path, pkg: dict[str, object], manager: PackageManager,
              env: dict[str, str], log: Log) -> bool:
    """``build_command`` when the spec sets one (it replaces the build script, so nothing runs
    twice), else the ``build`` script when package.json has one."""
    if req.build_command:
        if "build" in scripts(pkg):
            log.step("build_command is set: it runs instead of the package.json build script")
        run_build_command(req, app, env, log)
        return True
    if "build" not in scripts(pkg):
        log.step("No build script in package.json: nothing to build")
        return False
    argv = manager.run_argv("build")
    log.step(f"Running the build script: {' '.join([manager.name, *argv[-2:]])}")
    run_step(argv, log=log, cwd=app, env=env, code="build.script_failed", what="build script",
             on_fail=lambda exc: failed(
                 exc, f"the build script of '{req.component}' exited with status "
                      f"{exc.returncode}: {scripts(pkg)['build']}",
                 "Its output is in the build log above. Run `npm run build` in a fresh "
                 "checkout to reproduce it."))
    return True


def default_run_command(app: Path, kind: str, log: Log) -> str | None:
    """Procfile first; else ``npm start`` for services that have a start script or a
    server.js (npm's own default for ``start``)."""
    wanted = {"service": "web", "worker": "worker"}.get(kind)
    procs = procfile(app)
    if wanted and wanted in procs:
        command, source = procs[wanted], f"Procfile '{wanted}:' line"
    elif kind == "service" and "start" in scripts(read_package_json(app)):
        command, source = "npm start", "package.json start script"
    elif kind == "service" and (app / "server.js").is_file():
        command, source = "npm start", "server.js (npm start runs `node server.js`)"
    else:
        if kind in ("service", "worker"):
            log.step(f"No default run command: no Procfile '{wanted}:' line"
                     + (", no start script and no server.js" if kind == "service" else "")
                     + "; set run_command in the spec")
        return None
    log.step(f"Default run command: {command} (from {source})")
    return command
