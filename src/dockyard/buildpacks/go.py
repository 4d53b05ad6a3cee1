"""The Go buildpack: services, workers and jobs from ``go.mod``, built into ``bin/``.

Order (heroku-buildpack-go, which DigitalOcean's Go buildpack follows): copy the app → the
host's Go, checked against go.mod's ``go``/``toolchain`` directives → modules: a committed
``vendor/`` is used as is (``-mod=vendor``), else ``go mod download`` through the usual
``GOPROXY`` (the spec may set GOPROXY, GOPRIVATE, GOFLAGS as BUILD_TIME variables) →
``go build -o bin/`` of the main packages (or those a ``// +heroku install`` line names) →
default run command (Procfile, else ``bin/<name>``).

Caches: the module download cache and the build cache (``GOMODCACHE``, ``GOCACHE``) are
Go's own, shared by every build and content-addressed, so a code-only commit recompiles only
what changed. Whether the modules of this go.mod/go.sum were already downloaded is keyed like
``node_modules`` (``keyed.Keyed``), so the build log says when they are reused.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from dockyard.buildpacks.detect import procfile
from dockyard.buildpacks.gomod import Go, GoMod, binary_name, check_directive, find_go, read_go_mod
from dockyard.buildpacks.keyed import Keyed, file_hashes, settings_hash
from dockyard.buildpacks.nodemodules import history_name
from dockyard.buildpacks.steps import DEFAULT_PATH, build_env, copy_app, failed, run_step
from dockyard.buildpacks.types import BuildRequest, BuildResult, Probe
from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.proc import capture

SETTINGS = ("GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOSUMDB", "GOFLAGS", "GOINSECURE")
DEFAULT_PROXY = "https://proxy.golang.org,direct"


class GoBuildpack:
    """Go modules, built with the host's Go (Debian's golang-go)."""

    name = "go"
    title = "Go"
    slugs: tuple[str, ...] = ("go",)
    looks_for = ("go.mod",)

    def detect(self, probe: Probe) -> str | None:
        if "go.mod" not in probe.files.names() or probe.kind == "static_site":
            return None
        return "found go.mod" + (" and vendor/" if "vendor/" in probe.files.names() else "")

    def build(self, req: BuildRequest, log: Log) -> BuildResult:
        if req.kind == "static_site":
            raise DockyardError(f"static_site '{req.component}': the Go buildpack builds "
                                "services, workers and jobs", code="build.go_static_site",
                                hint="Give the static site a build_command that writes its "
                                     "files (it may run `go run`), and an output_dir.")
        app = copy_app(req.src, req.release / "app")
        mod = read_go_mod(app)
        go = find_go()
        check_directive(mod, go)
        log.step(f"Using {go.text} ({go.path}) for module {mod.module}"
                 + (f" (go {mod.go})" if mod.go else ""))
        env = go_env(req, go, app, log)
        hit = modules(req, app, go, env, log)
        binaries = compile_packages(req, app, mod, go, env, log)
        command = default_run_command(app, req.kind, mod, binaries, log)
        return BuildResult(self.name, req.release, app, None, None, None, hit, command,
                           runtime=go.text)


def go_env(req: BuildRequest, go: Go, app: Path, log: Log) -> dict[str, str]:
    """Spec build variables plus Go's shared caches; never a toolchain download."""
    env = build_env(req, None, log)
    cache = req.home.tool_cache("go")
    env["PATH"] = f"{go.path.parent}:{DEFAULT_PATH}"
    env.update({"GOPATH": str(cache / "path"), "GOMODCACHE": str(cache / "mod"),
                "GOCACHE": str(cache / "build"), "GOTOOLCHAIN": "local"})
    if (app / "vendor" / "modules.txt").is_file():
        env["GOFLAGS"] = " ".join(f for f in (env.get("GOFLAGS", ""), "-mod=vendor") if f)
    if shutil.which("gcc", path=DEFAULT_PATH) is None and "CGO_ENABLED" not in env:
        env["CGO_ENABLED"] = "0"
        log.child("No C compiler on this host: building with CGO_ENABLED=0")
    return env


def modules(req: BuildRequest, app: Path, go: Go, env: dict[str, str], log: Log) -> bool:
    """Download the modules go.sum lists (once per go.mod/go.sum); vendor/ needs nothing."""
    if (app / "vendor" / "modules.txt").is_file():
        log.step("Using the vendored modules in vendor/ as they are (-mod=vendor)")
        return True
    files = file_hashes(app, ["go.mod", "go.sum"])
    cache = Keyed(req.home.build_cache / "go", {"Go": go.version, "files": files,
                                                 "settings": settings_hash(env, SETTINGS)},
                  req.home.build_cache / "history" / f"{history_name(req)}-go.json",
                  "Go modules", force=req.force_rebuild)
    proxy = env.get("GOPROXY") or DEFAULT_PROXY

    def download(_fresh: Path) -> None:
        log.step(f"Downloading modules (GOPROXY={proxy})")
        run_step([str(go.path), "mod", "download"], log=log, cwd=app, env=env,
                 code="build.go_modules_unavailable", what="go mod download",
                 on_fail=lambda exc: failed(
                     exc, f"the modules go.mod needs could not be downloaded through "
                          f"GOPROXY={proxy} ({exc.message})",
                     "Vendor them (`go mod vendor`, then commit vendor/), let this host reach "
                     "the proxy, or set GOPROXY (scope BUILD_TIME) to a proxy it reaches."))

    _dir, hit = cache.ensure(download, log)
    log.child(f"Go build cache: {env['GOCACHE']} (packages whose code did not change are "
              "not compiled again)")
    return hit


def main_packages(app: Path, mod: GoMod, env: dict[str, str], go_path: Path) -> list[str]:
    """The packages to build: a ``// +heroku install`` line's, else every main package."""
    if mod.install:
        return list(mod.install)
    try:
        out = capture([str(go_path), "list", "-f", "{{.ImportPath}} {{.Name}}", "./..."],
                      cwd=app, env=env)
    except CommandFailed as exc:
        raise DockyardError(f"`go list ./...` failed: {exc.message}", code="build.go_list_failed",
                            hint="Run `go build ./...` in a fresh checkout; a missing go.sum "
                                 "entry is fixed by `go mod tidy`.") from None
    found = [line.split()[0] for line in out.splitlines() if line.endswith(" main")]
    if not found:
        raise DockyardError(f"module {mod.module} has no main package to build",
                            code="build.go_no_main",
                            hint="Add a `package main` with `func main()` (at the root or "
                                 "under cmd/<name>/).")
    return found


def compile_packages(req: BuildRequest, app: Path, mod: GoMod, go: Go, env: dict[str, str],
                     log: Log) -> list[str]:
    """``go build -o bin/ <packages>``; return the binaries' names."""
    go_path = go.path
    packages = main_packages(app, mod, env, go_path)
    rel = ["." if p == mod.module else "./" + p.removeprefix(mod.module + "/")
           if p.startswith(mod.module + "/") else p for p in packages]
    log.step(f"Building {', '.join(rel)} into bin/")
    run_step([str(go_path), "build", "-o", "bin/", *rel], log=log, cwd=app, env=env,
             code="build.go_build_failed", what="go build", on_fail=lambda exc: failed(
                 exc, f"go build of '{req.component}' exited with status {exc.returncode}",
                 "The compiler's errors are in the build log above."))
    return sorted({binary_name(p) for p in packages})


def default_run_command(app: Path, kind: str, mod: GoMod, binaries: list[str],
                        log: Log) -> str | None:
    wanted = {"service": "web", "worker": "worker"}.get(kind)
    procs = procfile(app)
    if wanted and wanted in procs:
        command, source = procs[wanted], f"Procfile '{wanted}:' line"
    elif binary_name(mod.module) in binaries:
        command, source = f"bin/{binary_name(mod.module)}", "the module's main package"
    elif len(binaries) == 1:
        command, source = f"bin/{binaries[0]}", "the only binary"
    else:
        log.step(f"No default run command: binaries {', '.join(binaries)}; set run_command")
        return None
    log.step(f"Default run command: {command} (from {source})")
    return command
