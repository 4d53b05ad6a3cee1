"""The build phase: fetch each source once, export its commit, build every component."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.deploy.context import DeployContext
from dockyard.files import chown_tree, own_tree_once
from dockyard.paths import Home
from dockyard.release.environment import build_env
from dockyard.release.record import ComponentRecord

if TYPE_CHECKING:
    from dockyard.buildpacks.isolated import BuildJail


def source_of(component: Any) -> tuple[str, dict[str, Any]]:
    """The component's git-like source as ``(kind, fields)``."""
    for kind in ("git", "github", "gitlab", "bitbucket"):
        value = getattr(component, kind, None)
        if value is not None:
            return kind, value.model_dump(exclude_none=True)
    from dockyard.errors import DockyardError

    raise DockyardError(f"component '{component.name}' has no git source (an image source is "
                        "pulled, not fetched)", code="deploy.source_unsupported")


def image_of(ctx: DeployContext, comp: Any) -> Any:
    """An image source's reference (``buildpacks.imageref.ImageRef``)."""
    from dockyard.buildpacks.imageref import image_ref

    return image_ref(comp.image.model_dump(mode="json"), ctx.settings.docr_registry,
                     f"'{comp.name}' image")


def fetch_all(ctx: DeployContext) -> dict[str, tuple[Any, str]]:
    """Fetch every distinct source once; component name -> (SourceRef, commit)."""
    from dockyard.buildpacks.plan import nothing_to_run, skipped
    from dockyard.errors import DockyardError
    from dockyard.source import fetch, source_ref

    for name, why in skipped(ctx.spec, ctx.host):
        ctx.log.step(f"Not deploying '{name}': {why}")
    if nothing_to_run(ctx.spec):  # a spec stored before create refused such specs
        raise DockyardError("this app has nothing Dockyard can run", code="spec.nothing_to_deploy",
                            hint="Add a service, worker, job or static site built from git.")
    fetched: dict[tuple[str, str], str] = {}
    result: dict[str, tuple[Any, str]] = {}
    pinned: dict[str, str] = ctx.dep.options.get("commits") or {}
    for _kind, comp in ctx.built():
        if getattr(comp, "image", None) is not None:  # pulled in its build; pinned: by digest
            result[comp.name] = (None, pinned.get(comp.name) or image_of(ctx, comp).reference)
            continue
        ref = source_ref(*source_of(comp))
        if comp.name in pinned:
            ctx.log.step(f"Keeping '{comp.name}' at {pinned[comp.name][:12]}: its source did "
                         "not change (update_all_source_versions is false)")
            result[comp.name] = (ref, pinned[comp.name])
            continue
        key = (ref.url, ref.branch)
        if key not in fetched:
            ctx.log.step(f"Fetching {ref.label} ({ref.branch})")
            fetched[key] = fetch(ctx.home, ctx.app.id, ref, ctx.log)
            ctx.log.child(f"{ref.branch} is at {fetched[key][:12]}")
        result[comp.name] = (ref, fetched[key])
    return result


def build_component(ctx: DeployContext, kind: str, comp: Any, ref: Any, commit: str,
                    force: bool) -> ComponentRecord:
    """Export the commit, build it (in the app's sandbox, as the app's user) into the
    release, and return the component's record."""
    from dockyard.buildpacks import BuildRequest, BuildSettings, interpreters
    from dockyard.buildpacks.isolated import build_isolated
    from dockyard.source import checkout

    app_home = ctx.home.app(ctx.app.id)
    work = app_home / "work" / ctx.dep.id / comp.name
    shutil.rmtree(work, ignore_errors=True)
    release = ctx.home.release(ctx.app.id, ctx.dep.id, comp.name)
    log = ctx.build_log(comp.name)
    try:
        if ref is None:  # an image source: nothing to check out
            work.mkdir(parents=True)
            src = work
        else:
            src = checkout(ctx.home, ctx.app.id, ref, commit, work, comp.source_dir, log)
        jail = build_jail(ctx, comp.name, [work, release])
        pythons = tuple(interpreters.candidate_paths())
        versions = interpreters.remembered(ctx.home.interpreter_versions, pythons)
        settings = BuildSettings(allow_python_downloads=ctx.settings.allow_python_downloads,
                                 strict_python=ctx.settings.strict_python,
                                 registry_mirrors=dict(ctx.settings.registry_mirrors),
                                 python_candidates=pythons, python_versions=versions)
        result = build_isolated(BuildRequest(
            component=comp.name, kind=kind, src=src, release=release,
            env=build_env(ctx.spec, comp, reveal=ctx.reveal), home=Home(app_home),
            environment_slug=getattr(comp, "environment_slug", None),
            build_command=getattr(comp, "build_command", None),
            run_command=getattr(comp, "run_command", None),
            output_dir=getattr(comp, "output_dir", None), force_rebuild=force,
            settings=settings, dockerfile_path=getattr(comp, "dockerfile_path", None),
            checkout=work, image=image_request(ctx, comp, commit)), log, jail)
    finally:
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    image = result.image
    return ComponentRecord(
        name=comp.name, kind=kind, commit=image["reference"] if image and ref is None
        else commit, release=release, buildpack=result.buildpack,
        app_dir=result.app_dir, site_dir=result.site_dir,
        default_run_command=result.default_run_command, run_env=result.run_env,
        run_path=result.run_path, run_mounts=result.run_mounts, python=result.python,
        rootfs=image)


def image_request(ctx: DeployContext, comp: Any, reference: str) -> dict[str, str] | None:
    """What the build needs to pull an image source: the reference (a pinned digest, or the
    spec's tag), the registry credentials (decrypted here, in memory only), plain HTTP or not.
    """
    if getattr(comp, "image", None) is None:
        return None
    credentials = comp.image.registry_credentials
    return {"reference": reference, "insecure": str(image_of(ctx, comp).insecure).lower(),
            **({"credentials": ctx.reveal(credentials)} if credentials else {})}


def build_jail(ctx: DeployContext, component: str, own: list[Path]) -> BuildJail:
    """The app's user owns what its build writes (``own``, fresh for this build, and the
    app's build cache, walked only when it last belonged to root); the build gets a cgroup
    of its own."""
    from dockyard.buildpacks.isolated import BuildJail
    from dockyard.isolation import cgroups, users

    isolation = ctx.services.isolation
    user = users.ensure(ctx.app.id, ctx.app.name, ctx.home.root) if isolation.sandbox else None
    for path in own:
        path.mkdir(parents=True, exist_ok=True)
        if user is not None:
            chown_tree(path, user.uid, user.gid)
    cache = ctx.home.app(ctx.app.id) / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    own_tree_once(cache, user.uid if user else None, user.gid if user else 0)
    group = cgroups.Group(cgroups.installation_id(ctx.home.root),
                          f"build-{ctx.dep.id[:8]}-{component}") if isolation.limits else None
    return BuildJail(user, cache, group)
