"""Dockerfile builds and ``image`` sources, with Debian's buildah (no Docker daemon).

Both end the same way: an image in the app's own image store (``apps/<id>/images``: buildah's
storage, the layer cache, scratch space; never shared between apps), whose root filesystem
becomes the release (``rootfs.py``) and whose config says what an instance runs
(``imageconfig.py``). A static site built from a Dockerfile publishes ``output_dir`` out of
the image instead.

- **Dockerfile**: ``buildah bud --layers`` with chroot isolation, the ``source_dir`` as the
  context, the BUILD_TIME variables as build args (their values reach buildah through its
  environment, never a command line). Layers are cached between builds, so a commit that
  changes only code runs the Dockerfile from its first changed step; the log says which
  steps came from the cache.
- **image**: ``buildah pull`` of the reference (``imageref.py``), with the registry
  credentials in an auth file only root can read, removed after the pull.

This runs as root (buildah needs it) in the build sandbox of ``isolation.builder``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.buildpacks import imageconfig, imageref, rootfs
from dockyard.buildpacks.images import Buildah
from dockyard.buildpacks.types import BuildRequest, BuildResult
from dockyard.errors import CommandFailed, DockyardError
from dockyard.files import chown_tree
from dockyard.logs import Log
from dockyard.proc import base_env, run

RESERVED_ARGS = {"PATH", "HOME", "TMPDIR", "LANG", "CONTAINERS_REGISTRIES_CONF",
                 "REGISTRY_AUTH_FILE", "BUILDAH_ISOLATION", "BUILDAH_LAYERS"}
STEP = re.compile(r"^STEP \d+/(\d+): ")
CACHED = "--> Using cache "


@dataclass(frozen=True)
class ImageStore:
    """One app's images: buildah's storage, the layer cache, scratch space."""

    root: Path

    @classmethod
    def of(cls, req: BuildRequest) -> ImageStore:
        return cls(req.home.root / "images")

    @property
    def storage(self) -> Path:
        return self.root / "storage"

    @property
    def layers(self) -> Path:
        return self.root / "layers"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def buildah(self) -> Buildah:
        # state that lives only while buildah runs (mount counts, locks): under /run, which
        # is the build sandbox's own tmpfs
        digest = hashlib.sha256(str(self.storage).encode()).hexdigest()[:12]
        return Buildah(root=self.storage, runroot=Path("/run/dockyard-buildah") / digest)

    def env(self, registries: str) -> dict[str, str]:
        """buildah's environment: its scratch space and registries.conf in the store."""
        for path in (self.storage, self.layers, self.tmp):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        conf = self.tmp / "registries.conf"
        conf.write_text(registries)
        return {**base_env(), "TMPDIR": str(self.tmp), "HOME": str(self.tmp),
                "CONTAINERS_REGISTRIES_CONF": str(conf)}


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise DockyardError(f"{what} need buildah, which needs Dockyard to run as root",
                            code="build.containers_need_root",
                            hint="Run Dockyard as root (the normal case on a server), or build "
                                 "with a buildpack: remove dockerfile_path.")


def build_dockerfile(req: BuildRequest, log: Log) -> BuildResult:
    require_root("Dockerfile builds")
    store = ImageStore.of(req)
    dockerfile = locate_dockerfile(req)
    if req.build_command:
        log.step("build_command is not run for a Dockerfile build (the Dockerfile's RUN "
                 "steps are the build, as on DigitalOcean)")
    hosts = imageref.from_hosts(dockerfile.read_text(errors="replace"), req.env)
    env = store.env(imageref.registries_conf(hosts, req.settings.registry_mirrors))
    # FROM images are pulled when missing (Docker's default); a forced rebuild pulls again
    argv = ["bud", "--layers", "--isolation", "chroot",
            f"--pull={'always' if req.force_rebuild else 'false'}", "-f", str(dockerfile),
            "--iidfile", str(store.tmp / "iid"), "-t", f"localhost/dockyard/{req.component}"]
    for key in sorted(req.env):
        if key in RESERVED_ARGS:
            argv += ["--build-arg", f"{key}={req.env[key]}"]
        else:
            argv += ["--build-arg", key]
            env[key] = req.env[key]
    if req.force_rebuild:
        argv.append("--no-cache")
    shown = ", ".join(sorted(req.env)) or "none"
    log.step(f"Building {describe_path(req, dockerfile)} with buildah (context: "
             f"{describe_path(req, req.src)}; build args: {shown})")
    lines = run(store.buildah.argv(*argv, str(req.src)), log=log, env=env, cwd=req.src,
                code="build.dockerfile_failed", what="buildah bud", timeout=3600)
    cached = cache_summary(lines, log)
    image_id = (store.tmp / "iid").read_text().strip().removeprefix("sha256:")
    return finish(req, store, image_id, log, "dockerfile", cached=cached)


def locate_dockerfile(req: BuildRequest) -> Path:
    """``dockerfile_path`` (relative to the repository's root), else ``Dockerfile`` at the
    top of the source_dir."""
    root = req.checkout or req.src
    if not req.dockerfile_path:
        found = req.src / "Dockerfile"
    else:
        found = root / req.dockerfile_path.lstrip("/")
        if not found.resolve().is_relative_to(root.resolve()):
            raise DockyardError(f"dockerfile_path {req.dockerfile_path!r} points outside the "
                                "repository", code="build.dockerfile_missing")
    if not found.is_file():
        raise dockerfile_missing(req.dockerfile_path or "Dockerfile", root)
    return found


def dockerfile_missing(path: str, root: Path) -> DockyardError:
    near = sorted(str(p.relative_to(root)) for p in root.rglob("*Dockerfile*")
                  if p.is_file() and ".git" not in p.parts)[:10]
    return DockyardError(
        f"dockerfile_path {path!r} does not exist in the repository; Dockerfiles found: "
        f"{', '.join(near) or 'none'}", code="build.dockerfile_missing",
        hint="dockerfile_path is relative to the repository's root (not to source_dir).")


def describe_path(req: BuildRequest, path: Path) -> str:
    root = req.checkout or req.src
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return str(rel) if rel.parts else "the repository's root"


def cache_summary(lines: list[str], log: Log) -> bool:
    """Say how much of the build came from the layer cache; True when anything did."""
    steps = next((int(m.group(1)) for line in lines if (m := STEP.match(line))), 0)
    cached = sum(1 for line in lines if line.startswith(CACHED))
    if cached:
        log.step(f"Layer cache: {cached} of {steps} steps reused (Using cache)")
    else:
        log.step(f"Layer cache: none of the {steps} steps reused (a first build, or the "
                 "first step changed)")
    return cached > 0


def pull_image(req: BuildRequest, log: Log) -> BuildResult:
    require_root("image sources")
    assert req.image is not None
    store = ImageStore.of(req)
    reference = req.image["reference"]
    host = reference.split("/", 1)[0]
    mirrors = req.settings.registry_mirrors
    env = store.env(imageref.registries_conf([host], mirrors))
    source = imageref.mirrored(host, mirrors)
    argv = ["pull", "--policy", "missing" if "@sha256:" in reference else "always"]
    if imageref.is_loopback(host):  # else registries.conf says (a loopback mirror: HTTP)
        argv.append("--tls-verify=false")
    auth = store.tmp / "auth.json"
    if req.image.get("credentials"):
        fd = os.open(auth, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(imageref.auth_json(reference.split("/", 1)[0], req.image["credentials"]))
        argv += ["--authfile", str(auth)]
    log.step(f"Pulling {reference}" + (f" from {source} (registry_mirrors)" if source != host
                                        else ""))
    try:
        lines = run(store.buildah.argv(*argv, f"docker://{reference}"), log=log, env=env,
                    code="image.pull_failed", what=f"buildah pull {reference}", timeout=3600)
    except CommandFailed as exc:
        raise pull_error(reference, source, exc) from None
    finally:
        auth.unlink(missing_ok=True)
    image_id = lines[-1].strip() if lines else ""
    return finish(req, store, image_id, log, "image", reference=reference)


def pull_error(reference: str, source: str, exc: CommandFailed) -> DockyardError:
    text = "\n".join(exc.output).lower()
    if "manifest unknown" in text or "not found" in text:
        why, hint = "the registry has no such image or tag", "Check repository and tag/digest."
    elif "unauthorized" in text or "authentication required" in text or "denied" in text:
        why, hint = ("the registry refused the credentials (or needs some)",
                     "Set image.registry_credentials to \"username:access_token\".")
    elif "connection refused" in text or "no such host" in text or "timeout" in text:
        why, hint = (f"the registry {source} could not be reached",
                     "Check registry, the network, and registry_mirrors in config.json.")
    else:
        why, hint = exc.message, None
    return CommandFailed(f"could not pull {reference}: {why}", code="image.pull_failed",
                         returncode=exc.returncode, tail=exc.tail, hint=hint)


def finish(req: BuildRequest, store: ImageStore, image_id: str, log: Log, buildpack: str,
           *, cached: bool = False, reference: str | None = None) -> BuildResult:
    """The image's root into the release (or its output_dir into the site) and its config."""
    inspect: dict[str, Any] = json.loads(store.buildah.capture(
        "inspect", "--type", "image", image_id))
    digest = inspect.get("FromImageDigest") or ""
    if reference and digest and "@" not in reference:
        reference = f"{reference.rsplit(':', 1)[0]}@{digest}"
    started = time.monotonic()
    layers = rootfs.image_layers(store.storage, image_id)
    known = sum(1 for layer in layers if (store.layers / f"{layer}.json").exists())
    cached_dirs = [rootfs.cached_layer(store.storage, store.layers, layer, req.owner)
                   for layer in layers]
    target = req.release / ("rootfs" if req.kind != "static_site" else ".rootfs")
    rootfs.merge(cached_dirs, target)
    log.step(f"Root filesystem of image {image_id[:12]}: {len(layers)} layers "
             f"({len(layers) - known} new in the layer cache), linked in "
             f"{time.monotonic() - started:.1f}s")
    config = imageconfig.image_config(inspect, target)
    config.update(id=image_id, reference=reference or f"localhost/dockyard/{req.component}",
                  layers=layers)
    log.step(f"Image {image_id[:12]}: {imageconfig.describe(config)}")
    if req.kind == "static_site":
        site = publish_output_dir(req, target, log)
        shutil.rmtree(target)
        return BuildResult(buildpack, req.release, None, site, None, None, cached, None,
                           runtime=f"image {image_id[:12]}", image=None)
    notes = run_notes(req, config, log)
    return BuildResult(buildpack, req.release, target, None, None, None, cached,
                       " ".join(imageconfig.argv_of(config)) or None, notes,
                       runtime=f"image {image_id[:12]}", extra_env=dict(config["env"]),
                       image=config)


def run_notes(req: BuildRequest, config: dict[str, Any], log: Log) -> list[str]:
    """What differs from running the image under Docker, said once in the build log."""
    notes = []
    if not imageconfig.argv_of(config) and not req.run_command:
        raise DockyardError(f"the image of '{req.component}' has no ENTRYPOINT or CMD and the "
                            "spec has no run_command", code="build.image_no_command",
                            hint=f"Set run_command for '{req.component}', or CMD in the "
                                 "Dockerfile.")
    if req.run_command and not config["shell"]:
        raise DockyardError(f"run_command of '{req.component}' needs a shell, and the image "
                            "has neither /bin/bash nor /bin/sh", code="build.image_no_shell",
                            hint="Remove run_command to run the image's ENTRYPOINT and CMD.")
    if config["user"]:
        notes.append(f"the image's USER {config['user']} is not used: instances run as the "
                     "app's own user, who owns the image's files")
    if req.kind == "service" and config["ports"]:
        notes.append(f"the image exposes {', '.join(config['ports'])}; each instance gets a "
                     "port of its own in PORT, which the server must listen on")
    for note in notes:
        log.step(f"Note: {note}")
    return notes


def publish_output_dir(req: BuildRequest, root: Path, log: Log) -> Path:
    """A static site's files, copied out of the image's ``output_dir``."""
    out = req.output_dir or ""
    if not out.startswith("/") or out.strip("/") == "":
        raise DockyardError(f"static site '{req.component}' is built from a Dockerfile and "
                            f"needs output_dir: the absolute path of the built files in the "
                            f"image (not {out or 'unset'!r})", code="build.output_dir_invalid",
                            hint="e.g. output_dir: /app/dist")
    found = rootfs.resolve_in(root, out)
    if found is None or not found.is_dir():
        raise DockyardError(f"output_dir {out!r} does not exist in the image of "
                            f"'{req.component}'", code="build.output_dir_missing",
                            hint="It is a path inside the image, e.g. where the Dockerfile's "
                                 "build writes its files.")
    site = req.release / "site"
    shutil.copytree(found, site, symlinks=True)
    follow_links(site, root, out)
    if req.owner:
        chown_tree(site, *req.owner)
    count = sum(1 for p in site.rglob("*") if p.is_file())
    log.step(f"Publishing {out} from the image as the site ({count} files)")
    return site


def follow_links(site: Path, root: Path, out: str) -> None:
    """A symlink in the site is replaced by the file it names in the image (nginx must never
    follow a link out of the site, to the host's files), or dropped."""
    for link in [p for p in site.rglob("*") if p.is_symlink()]:
        inside = rootfs.resolve_in(root, f"{out.rstrip('/')}/{link.relative_to(site)}")
        link.unlink()
        if inside is not None and inside.is_file() and not inside.is_symlink():
            shutil.copy2(inside, link)
