"""A deployment on a cluster, where the runtime takes the release whole (``rolls_releases``).

After the build, each component becomes an image (``images.publish`` on a base kept in the
image store) unless its record names one already: a rollback or a restart redeploys a kept
release by digest. The ``Target`` names the images, the commits and the URLs of production
databases, with the deployment id as the release; ``runtime.deploy`` rolls it out and each
phase it reports becomes the deployment's (``phases_to``). No router and no local drain:
the cluster's Ingress carries the traffic, and the old pods go once the new ones are ready.
A failed rollout is undone by the runtime (the old release keeps serving) and raises
``RolloutFailed``, which ends the deployment ERROR with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from dockyard.deploy.context import DeployContext
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.progress import mark
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.release.record import ComponentRecord
from dockyard.runtime import Instance, State
from dockyard.runtime.kubernetes.rollout import RolloutFailed
from dockyard.runtime.kubernetes.target import Target

OnPhase = Callable[[str, str], None]
FORWARD = (Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING, Phase.ACTIVE)
# What each phase the runtime reports does to the progress tree: steps done, step started.
STEPS: dict[Phase, tuple[tuple[tuple[str, ...], ...], tuple[str, ...] | None]] = {
    Phase.PENDING_DEPLOY: ((), ("deploy", "initialize")),
    Phase.DEPLOYING: ((("deploy", "initialize"),), ("deploy", "components")),
    Phase.ACTIVE: ((("deploy", "initialize"), ("deploy", "components"),
                    ("deploy", "finalize")), None),
}


class ReleaseRuntime(Protocol):
    """What the deploy core asks of a runtime that rolls whole releases (a cluster)."""

    rolls_releases: bool

    def target(self, app: str, app_id: str, release: str, **kw: Any) -> Target: ...

    def deploy(self, spec: Any, target: Target, log: Log,
               on_phase: OnPhase | None = None) -> list[str]: ...

    def restart(self, app_id: str, log: Log, components: Sequence[str] = ()) -> None: ...

    def instances(self, app_id: str) -> list[tuple[Instance, State]]: ...

    def log_lines(self, inst: Instance, tail: int) -> list[str]: ...


class RolloutCanceled(RolloutFailed):
    """Canceled before the new release's Deployments were applied."""

    def __init__(self) -> None:
        super().__init__("the deployment was canceled before its rollout started")
        self.code = "deploy.canceled"


def release_runtime(services: Services) -> ReleaseRuntime:
    if not services.rolls_releases:
        raise DockyardError("this installation's runtime does not roll whole releases",
                            code="deploy.internal_error")
    return cast(ReleaseRuntime, services.runtime)


def phases_to(current: Phase, reported: str) -> list[Phase]:
    """The transitions that bring a deployment in ``current`` to the phase the runtime
    reported: forward only. ERROR gives none (the failure path ends the deployment once the
    runtime has undone the rollout), and so does a phase already reached."""
    if current not in FORWARD or reported not in (p.value for p in FORWARD[1:]):
        return []
    have, want = FORWARD.index(current), FORWARD.index(Phase(reported))
    return list(FORWARD[have + 1: want + 1])


# -- images ----------------------------------------------------------------------------------
def image_store(services: Services) -> Path:
    return Path(services.settings.image_store or services.home.images)


def publish(ctx: DeployContext, comp: Any) -> str:
    """The component's image: the one its record names (a kept release), else its release
    layered onto the base image and pushed; the reference (by digest) joins the record."""
    from dockyard.buildpacks import images
    from dockyard.locks import file_lock
    from dockyard.runtime.kubernetes.names import dns_label

    record = ctx.components[comp.name]
    if record.image:
        ctx.log.step(f"Image of '{comp.name}': {record.image} (kept, by digest; no rebuild)")
        return record.image
    store = image_store(ctx.services)
    buildah = images.Buildah(root=store / "storage", runroot=store / "run")
    log = ctx.build_log(comp.name)
    try:
        with file_lock(ctx.home.run / "base-image.lock"):   # one mmdebstrap at a time
            base = images.ensure_base_image(buildah, images.BaseImage(), store / "rootfs", log)
        refs = images.publish(
            buildah, base, {dns_label(comp.name): release_files(record, comp, ctx.dep.id)},
            ctx.settings.image_registry, dns_label(ctx.app.name), ctx.dep.id, log,
            tls_verify=not ctx.settings.image_registry_insecure)
    finally:
        log.close()
    record.image = refs[dns_label(comp.name)]
    ctx.save_components()
    ctx.log.step(f"Image of '{comp.name}': {record.image}")
    return record.image


def release_files(record: ComponentRecord, comp: Any, release: str) -> Any:
    """What of the built release goes into its image (``images.ReleaseFiles``)."""
    from dockyard.buildpacks.images import ReleaseFiles

    venv = record.run_env.get("VIRTUAL_ENV")
    if not (record.app_dir or record.site_dir):
        raise DockyardError(f"the release of '{record.name}' has no files to put in an image",
                            code="image.release_empty")
    return ReleaseFiles(
        app_dir=record.app_dir, venv=Path(venv) if venv else None, site_dir=record.site_dir,
        run_command=getattr(comp, "run_command", None) or record.default_run_command,
        index_document=getattr(comp, "index_document", None) or "index.html",
        error_document=getattr(comp, "error_document", None) or "404.html",
        catchall_document=getattr(comp, "catchall_document", None),
        labels={"org.opencontainers.image.revision": record.commit,
                "dev.dockyard.deployment": release},
        env={k: v for k, v in record.run_env.items() if k != "VIRTUAL_ENV"},
        path=tuple(record.run_path), mounts=tuple(Path(m) for m in record.run_mounts))


# -- the release -------------------------------------------------------------------------------
def target_for(ctx: DeployContext, runtime: ReleaseRuntime) -> Target:
    records = ctx.components.values()
    return runtime.target(ctx.spec.name, ctx.app.id, ctx.dep.id,
                          images={r.name: r.image for r in records if r.image},
                          commits={r.name: r.commit for r in records},
                          external_databases=external_databases(ctx))


def external_databases(ctx: DeployContext) -> dict[str, str]:
    """URLs of the databases the cluster does not run (``production: true``, other engines):
    the cluster registered under ``cluster_name`` (``dockyard databases clusters add``)."""
    from dockyard.databases import Connection, ExternalClusters
    from dockyard.runtime.kubernetes.env import is_external

    out: dict[str, str] = {}
    for index, db in enumerate(ctx.spec.databases or []):
        if not is_external(db):
            continue
        if not db.cluster_name:
            raise DockyardError(
                f"databases[{index}] '{db.name}': on a cluster, a {db.engine} database that is "
                "not a dev PostgreSQL must name a registered cluster (cluster_name)",
                code="database.cluster_unknown",
                hint="Register it (`dockyard databases clusters add NAME --url URL`) and set "
                     "cluster_name: NAME in the spec.")
        conn = Connection.from_url(ExternalClusters.for_home(
            ctx.home, ctx.services.secret_box).get(db.cluster_name))
        if db.db_name:
            conn = Connection(conn.host, conn.port, conn.username, conn.password, db.db_name,
                              conn.sslmode)
        ctx.mask([conn.password, conn.url])
        ctx.log.step(f"Database '{db.name}': external cluster {db.cluster_name} "
                     f"({conn.masked_url})")
        out[db.name] = conn.url
    return out


class Follow:
    """``on_phase`` for the runtime: its phases become the deployment's, with the progress
    steps, and ``on_live`` runs once the deployment is ACTIVE."""

    def __init__(self, ctx: DeployContext, on_live: Callable[[], None]) -> None:
        self.ctx, self.on_live = ctx, on_live

    def __call__(self, reported: str, detail: str) -> None:
        ctx = self.ctx
        moves = phases_to(Phase(ctx.dep.phase), reported)
        if not moves:
            return
        current = ctx.store.get_deployment(ctx.app.id, ctx.dep.id)
        if current.phase == Phase.CANCELED and Phase.ACTIVE not in moves:
            raise RolloutCanceled()   # before any Deployment changed (see Platform.cancel)
        for to in moves:
            ctx.dep = transition(ctx.store, ctx.dep, to, ctx.log)
            done, started = STEPS[to]
            progress = ctx.dep.progress
            for path in done:
                progress = mark(progress, path, "SUCCESS")
            if started:
                progress = mark(progress, started, "RUNNING")
            ctx.save(progress=progress)
            if to == Phase.ACTIVE:
                self.on_live()


def roll_out(ctx: DeployContext, on_live: Callable[[], None]) -> None:
    """Roll the release out on the cluster (or restart the live one, ``restart``)."""
    runtime = release_runtime(ctx.services)
    follow = Follow(ctx, on_live)
    try:
        if ctx.dep.options.get("restart"):
            restart(ctx, runtime, follow)
        else:
            runtime.deploy(ctx.spec, target_for(ctx, runtime), ctx.log, follow)
    except RolloutFailed as exc:
        exc.hint = None   # the runtime logged its crash report (or the job's output) already
        raise
    except Exception as exc:
        if ctx.dep.phase != Phase.ACTIVE:
            raise
        ctx.log.error(f"after the release went live: {exc}")  # it serves; report, go on


def restart(ctx: DeployContext, runtime: ReleaseRuntime, follow: Follow) -> None:
    """``kubectl rollout restart`` of the live release: new pods, same images."""
    components = [str(c) for c in ctx.dep.options.get("components") or []]
    follow("PENDING_DEPLOY", "restarting the live release")
    follow("DEPLOYING", f"rollout restart of {', '.join(components) or 'every component'}")
    runtime.restart(ctx.app.id, ctx.log, components)
    follow("ACTIVE", "restarted")


def retire(ctx: DeployContext) -> None:
    """Old local releases are pruned (the previous deployment was SUPERSEDED when this one
    went live; its pods are gone already: the rollout removed them)."""
    from dockyard.deploy.pruning import prune

    try:
        prune(ctx.services, ctx.app, ctx.log)
    except OSError as exc:
        ctx.log.error(f"could not prune old releases: {exc}")
