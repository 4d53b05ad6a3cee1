"""Releases as OCI images, built without a Docker daemon by Debian's ``buildah``.

- ``ensure_base_image``: a Debian base made with ``mmdebstrap`` from the Debian mirror and
  imported into buildah's storage; keyed by suite and packages, so it is built once;
- ``release_image``: a buildpack release layered onto a base (app files in ``/workspace``,
  the release's virtualenv at the same absolute path it has here, so its scripts run);
  an interpreter from outside /usr goes into an image of its own between the two
  (``ensure_interpreter_image``, made once); a static site gets nginx on port 8080 serving
  ``/workspace/site``;
- ``push``: to a registry, returning the reference by digest (what a rollback redeploys).

``buildah run`` uses chroot isolation (``podman run`` needs CAP_SYS_RESOURCE, which sandboxes
like CI's lack). ``Buildah(root=…)`` keeps images in a storage of their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import CommandFailed, DockyardError
from dockyard.logs import Log
from dockyard.proc import capture, run

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SITE_PORT = 8080
WORKSPACE = "/workspace"   # where App Platform's images keep the app


@dataclass(frozen=True)
class Buildah:
    """``buildah`` with its own storage when ``root`` is given (tests, caches)."""

    root: Path | None = None
    runroot: Path | None = None

    def argv(self, *args: str) -> list[str]:
        out = ["buildah"]
        if self.root:
            out += ["--root", str(self.root), "--runroot", str(self.runroot or
                                                              self.root.with_name("run"))]
        return out + list(args)

    def run(self, *args: str, log: Log, what: str) -> list[str]:
        return run(self.argv(*args), log=log, code="image.buildah_failed", what=what)

    def capture(self, *args: str) -> str:
        return capture(self.argv(*args)).strip()

    def exists(self, image: str) -> bool:
        try:
            self.capture("inspect", "--type", "image", "--format", "{{.FromImageID}}", image)
        except CommandFailed:
            return False
        return True

    def run_in(self, image: str, command: Sequence[str], log: Log) -> list[str]:
        """Run ``command`` in a throwaway container of ``image`` (chroot isolation)."""
        ctr = self.capture("from", "--pull-never", image)
        try:
            return self.run("run", "--isolation", "chroot", ctr, "--", *command, log=log,
                            what=f"{command[0]} in {image}")
        finally:
            self.capture("rm", ctr)


@dataclass(frozen=True)
class BaseImage:
    """A Debian root filesystem from the mirror (``mmdebstrap``), as an image."""

    suite: str = "bookworm"
    variant: str = "minbase"
    packages: tuple[str, ...] = ("python3", "ca-certificates", "nginx-light")

    @property
    def key(self) -> str:
        data = json.dumps([self.suite, self.variant, sorted(self.packages)]).encode()
        return hashlib.sha256(data).hexdigest()[:12]

    @property
    def name(self) -> str:
        return f"localhost/dockyard-base:{self.suite}-{self.key}"


def ensure_base_image(buildah: Buildah, base: BaseImage, cache_dir: Path, log: Log) -> str:
    """The base image's name; built (mmdebstrap, then import) only when it is missing."""
    if buildah.exists(base.name):
        log.step(f"Base image {base.name} (cached)")
        return base.name
    cache_dir.mkdir(parents=True, exist_ok=True)
    tar = cache_dir / f"rootfs-{base.suite}-{base.key}.tar"
    if not tar.exists():
        log.step(f"Making a {base.suite} root filesystem with mmdebstrap "
                 f"({', '.join(base.packages)})")
        fd, tmp = tempfile.mkstemp(prefix=".rootfs-", suffix=".tar", dir=cache_dir)
        os.close(fd)
        try:
            run(["mmdebstrap", f"--variant={base.variant}", f"--include={','.join(base.packages)}",
                 base.suite, tmp], log=log, code="image.mmdebstrap_failed", what="mmdebstrap")
            os.replace(tmp, tar)
        finally:
            Path(tmp).unlink(missing_ok=True)
    log.step(f"Importing {tar.name} as {base.name}")
    ctr = buildah.capture("from", "scratch")
    try:
        buildah.run("add", ctr, str(tar), "/", log=log, what="buildah add")
        buildah.run("config", "--env", f"PATH={SYSTEM_PATH}", "--env", "LANG=C.UTF-8",
                    "--workingdir", WORKSPACE, ctr, log=log, what="buildah config")
        buildah.run("commit", "--quiet", ctr, base.name, log=log, what="buildah commit")
    finally:
        buildah.capture("rm", ctr)
    return base.name


@dataclass(frozen=True)
class ReleaseFiles:
    """What of a buildpack release goes into its image."""

    app_dir: Path | None = None          # services, workers, jobs
    venv: Path | None = None             # the release's (relocatable) virtualenv
    site_dir: Path | None = None         # static sites
    run_command: str | None = None       # the image's default command
    index_document: str = "index.html"
    error_document: str = "404.html"
    catchall_document: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)   # what the build adds (NODE_ENV …)
    path: tuple[str, ...] = ()           # dirs before the system's PATH (else <venv>/bin)
    mounts: tuple[Path, ...] = ()        # host dirs it reads (shared node_modules …), copied
                                         # at the same path; the venv and interpreter aside


def site_conf(files: ReleaseFiles) -> str:
    """nginx serving the site on 8080 as a non-daemon (the pod's main process)."""
    fallback = f"/{files.catchall_document}" if files.catchall_document else "=404"
    return f"""daemon off;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr;
events {{}}
http {{
  include /etc/nginx/mime.types;
  access_log /dev/stdout;
  client_body_temp_path /tmp/nginx-body;
  proxy_temp_path /tmp/nginx-proxy;
  fastcgi_temp_path /tmp/nginx-fastcgi;
  uwsgi_temp_path /tmp/nginx-uwsgi;
  scgi_temp_path /tmp/nginx-scgi;
  server {{
    listen {SITE_PORT};
    root {WORKSPACE}/site;
    index {files.index_document};
    error_page 404 /{files.error_document};
    location / {{ try_files $uri $uri/ {fallback}; }}
  }}
}}
"""


def interpreter_prefix(venv: Path) -> Path | None:
    """The prefix of the venv's interpreter when the base image lacks it (outside /usr)."""
    python = (venv / "bin" / "python").resolve()
    return None if str(python).startswith("/usr/") else python.parent.parent


def ensure_interpreter_image(buildah: Buildah, base: str, prefix: Path, log: Log) -> str:
    """``base`` plus an interpreter from outside /usr (pyenv's, uv's), committed once as an
    image of its own: a release image then adds only its app and virtualenv, and a registry
    that has the interpreter's layer (hundreds of MB) is not sent it again."""
    base_id = buildah.capture("inspect", "--type", "image", "--format", "{{.FromImageID}}",
                              base)
    stamp = (prefix / "bin").stat().st_mtime_ns
    key = hashlib.sha256(json.dumps([base_id, str(prefix), stamp]).encode()).hexdigest()[:12]
    name = f"localhost/dockyard-python:{key}"
    if buildah.exists(name):
        log.step(f"Interpreter image {name} ({prefix}, cached)")
        return name
    log.step(f"Interpreter image {name}: {prefix} onto {base}")
    ctr = buildah.capture("from", "--pull-never", base)
    try:
        buildah.run("copy", ctr, str(prefix), str(prefix), log=log, what="copy python")
        buildah.run("commit", "--quiet", ctr, name, log=log, what="buildah commit")
    finally:
        buildah.capture("rm", ctr)
    return name


def release_image(buildah: Buildah, base: str, files: ReleaseFiles, name: str,
                  log: Log) -> str:
    """Layer a release onto ``base`` (plus its interpreter's image, when the base lacks
    that interpreter) and commit it as ``name``."""
    prefix = interpreter_prefix(files.venv) if files.venv else None
    if prefix is not None:
        base = ensure_interpreter_image(buildah, base, prefix, log)
    ctr = buildah.capture("from", "--pull-never", base)
    try:
        _copy_release(buildah, ctr, files, log)
        config = ["--workingdir", WORKSPACE]
        for key, value in sorted(files.labels.items()):
            config += ["--label", f"{key}={value}"]
        if files.site_dir:
            config += ["--port", str(SITE_PORT), "--cmd", json.dumps(
                ["nginx", "-c", "/etc/dockyard/site.conf"])]
        elif files.run_command:
            config += ["--cmd", json.dumps(["/bin/bash", "-c", files.run_command])]
        config += env_config(files)
        buildah.run("config", *config, ctr, log=log, what="buildah config")
        buildah.run("commit", "--quiet", ctr, name, log=log, what="buildah commit")
    finally:
        buildah.capture("rm", ctr)
    log.step(f"Image {name}")
    return name


def env_config(files: ReleaseFiles) -> list[str]:
    """``buildah config`` flags for the release's environment and PATH."""
    env = dict(files.env)
    path = list(files.path) or ([f"{files.venv}/bin"] if files.venv else [])
    if files.venv:
        env["VIRTUAL_ENV"] = str(files.venv)
    if path:
        env["PATH"] = ":".join([*path, SYSTEM_PATH])
    return [arg for key, value in sorted(env.items()) for arg in ("--env", f"{key}={value}")]


def _copy_release(buildah: Buildah, ctr: str, files: ReleaseFiles, log: Log) -> None:
    if files.app_dir:
        buildah.run("copy", ctr, str(files.app_dir), WORKSPACE, log=log, what="copy app")
    if files.venv:
        buildah.run("copy", ctr, str(files.venv), str(files.venv), log=log, what="copy venv")
    skip = {files.venv, interpreter_prefix(files.venv) if files.venv else None}
    for mount in (m for m in files.mounts if m not in skip):
        buildah.run("copy", ctr, str(mount), str(mount), log=log, what=f"copy {mount}")
    if files.site_dir:
        buildah.run("copy", ctr, str(files.site_dir), f"{WORKSPACE}/site", log=log,
                    what="copy site")
        with tempfile.TemporaryDirectory() as tmp:
            conf = Path(tmp) / "site.conf"
            conf.write_text(site_conf(files))
            buildah.run("copy", ctr, str(conf), "/etc/dockyard/site.conf", log=log,
                        what="copy nginx config")


def push(buildah: Buildah, image: str, dest: str, log: Log, *, tls_verify: bool = True) -> str:
    """Push ``image`` to ``dest`` (``registry/repo:tag``); return ``registry/repo@sha256:…``."""
    with tempfile.TemporaryDirectory() as tmp:
        digest_file = Path(tmp) / "digest"
        buildah.run("push", f"--tls-verify={'true' if tls_verify else 'false'}",
                    "--digestfile", str(digest_file), image, f"docker://{dest}",
                    log=log, what=f"push to {dest}")
        digest = digest_file.read_text().strip()
    if not digest.startswith("sha256:"):
        raise DockyardError(f"push to {dest} gave no digest", code="image.no_digest")
    repo = dest.rsplit("@", 1)[0]
    if ":" in repo.rsplit("/", 1)[-1]:
        repo = repo.rsplit(":", 1)[0]
    ref = f"{repo}@{digest}"
    log.step(f"Pushed {ref}")
    return ref


def publish(buildah: Buildah, base: str, releases: dict[str, ReleaseFiles], registry: str,
            app: str, release: str, log: Log, *, tls_verify: bool = True) -> dict[str, str]:
    """Build and push one image per component; ``{component: registry/app/comp@digest}``
    (what ``runtime.kubernetes.Target.images`` takes)."""
    refs = {}
    for component, files in sorted(releases.items()):
        local = f"localhost/{app}/{component}:{release}"
        release_image(buildah, base, files, local, log)
        refs[component] = push(buildah, local, f"{registry.rstrip('/')}/{app}/{component}:"
                               f"{release}", log, tls_verify=tls_verify)
    return refs
