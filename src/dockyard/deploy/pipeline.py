"""One deployment, phase by phase (docs/conventions.md §3: it reads like a table of contents).

fetch → build → start new beside old → health gate → route swap → drain old. Any failure
before the swap stops the new instances and leaves the serving release untouched. On a
cluster (a runtime that ``rolls_releases``) the build is followed by an image per component
and one rollout of the whole release (``deploy/cluster.py``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from dockyard.deploy import building, database_ops, jobs, swap
from dockyard.deploy.context import DeployContext
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.progress import fail_open_steps, mark, new_progress
from dockyard.deploy.sqlite_warning import warn_sqlite
from dockyard.errors import DockyardError
from dockyard.release.bindings import Bindings, bindings_for
from dockyard.release.record import ComponentRecord, InstanceRecord, records_of
from dockyard.runtime import Instance
from dockyard.store import Deployment


class Canceled(DockyardError):
    code = "deploy.canceled"


class Pipeline:
    """Runs one deployment from a ready ``DeployContext`` (``context.open_context``)."""

    def __init__(self, ctx: DeployContext) -> None:
        self.ctx = ctx
        self.new: list[Instance] = []
        self.binds: Bindings | None = None
        self.started = time.monotonic()

    # -- the table of contents -------------------------------------------------------------
    def run(self) -> None:
        ctx = self.ctx
        ctx.save(progress=new_progress([(k, c.name) for k, c in ctx.built()]))
        old: list[Instance] | None = None
        try:
            self.phase(Phase.BUILDING)
            self.check_secrets()
            self.notify("DEPLOYMENT_STARTED", f"Deployment {ctx.dep.id} of {ctx.app.name} "
                        f"started ({ctx.dep.cause})")
            if ctx.dep.cloned_from:
                commits = self.step(("build",), self.reuse_releases)
            else:
                commits = self.step(("build", "initialize"), lambda: building.fetch_all(ctx))
                self.build_all(commits)
            if ctx.services.rolls_releases:
                self.on_cluster()
            else:
                old = self.on_this_machine(commits)
        except Exception as exc:  # noqa: BLE001 - every failure ends the deployment as ERROR
            self.fail(exc)
            return
        finally:
            ctx.log.close()
        if old is not None:
            swap.retire(ctx.services, ctx.app, ctx.dep, old)

    def on_this_machine(self, commits: dict[str, tuple[Any, str]]) -> list[Instance]:
        """Start the new release beside the old, gate it, switch the router to it."""
        ctx = self.ctx
        self.phase(Phase.PENDING_DEPLOY)
        self.phase(Phase.DEPLOYING)
        self.binds = bindings_for(ctx.spec, ctx.app.id, ctx.app.port, ctx.live_url,
                                  {n: c for n, (_r, c) in commits.items()})
        self.binds.databases = self.step(("deploy", "initialize"), lambda: database_ops
                                         .provision_all(ctx))
        self.step(("deploy", "initialize"), self.pre_deploy_and_start)
        self.step(("deploy", "components"), lambda: swap.gate(ctx, self.new))
        warn_sqlite(ctx, self.new)
        old: list[Instance] = self.step(("deploy", "finalize"), self.switch)
        self.notify("DEPLOYMENT_LIVE", f"Deployment {ctx.dep.id} of {ctx.app.name} is live "
                    f"at {ctx.live_url}")
        jobs.run_jobs(ctx, self.binds, "POST_DEPLOY", fail=False)
        return old

    def on_cluster(self) -> None:
        """An image per component, then the runtime rolls the release out whole; its phases
        become the deployment's (``deploy/cluster.py``)."""
        from dockyard.deploy import cluster  # the kubernetes client: on a cluster only

        ctx = self.ctx
        for _kind, comp in ctx.built():
            self.step(("build", "components", comp.name),
                      functools.partial(cluster.publish, ctx, comp))
        self.phase_check()
        cluster.roll_out(ctx, self.live_on_cluster)
        cluster.retire(ctx)

    def live_on_cluster(self) -> None:
        ctx = self.ctx
        where = f"at {ctx.live_url}" if ctx.live_url else "on the cluster"
        ctx.log.step(f"Deployment is live {where} ({time.monotonic() - self.started:.1f}s)")
        self.notify("DEPLOYMENT_LIVE", f"Deployment {ctx.dep.id} of {ctx.app.name} is live "
                    f"{where}")

    # -- steps -------------------------------------------------------------------------------
    def phase(self, to: Phase) -> None:
        current = self.ctx.store.get_deployment(self.ctx.app.id, self.ctx.dep.id)
        if current.phase == Phase.CANCELED:
            raise Canceled("the deployment was canceled")
        self.ctx.dep = transition(self.ctx.store, current, to, self.ctx.log)

    def step(self, path: tuple[str, ...], work: Callable[[], Any]) -> Any:
        self.ctx.save(progress=mark(self.ctx.dep.progress, path, "RUNNING"))
        result = work()
        self.ctx.save(progress=mark(self.ctx.dep.progress, path, "SUCCESS"))
        return result

    def check_secrets(self) -> None:
        """An ``EV[…]`` value Dockyard did not encrypt (exported from DigitalOcean) cannot
        be read: fail before building, naming the variable."""
        from dockyard.release.secrets import foreign_secrets

        foreign = foreign_secrets(self.ctx.spec_dict(), self.ctx.services.secret_box)
        if foreign:
            raise DockyardError(
                f"{', '.join(foreign)}: this SECRET value was encrypted elsewhere (for "
                "example by DigitalOcean) and Dockyard cannot decrypt it",
                code="secrets.foreign_value",
                hint="Set the plaintext value in the spec and update the app "
                     "(`dockyard apps update APP --spec FILE`); Dockyard encrypts it on save.")

    def pre_deploy_and_start(self) -> None:
        """PRE_DEPLOY jobs run on the new release before any traffic moves; then start it."""
        ctx = self.ctx
        for database, backup in (ctx.dep.options.get("restore") or {}).items():
            ctx.log.step(f"Restoring database '{database}' from {backup} (rollback with data)")
            database_ops.restore(ctx.services, ctx.app, database, backup, ctx.log)
        if jobs.jobs_of_kind(ctx, "PRE_DEPLOY") and ctx.spec.databases:
            database_ops.backup_before_jobs(ctx)
        assert self.binds is not None
        jobs.run_jobs(ctx, self.binds, "PRE_DEPLOY", fail=True)
        self.phase_check()
        swap.start_new(ctx, self.binds, used_ports(ctx), self.new)

    def reuse_releases(self) -> dict[str, tuple[Any, str]]:
        """A rollback: take the kept releases of the target deployment, no rebuild."""
        ctx = self.ctx
        target = ctx.store.get_deployment(ctx.app.id, ctx.dep.cloned_from)
        ctx.log.step(f"Reusing the releases of deployment {target.id} (no rebuild)")
        records = records_of(target.components)
        for record in records:
            if not record.image and not record.release.exists():  # an image outlives it
                raise DockyardError(
                    f"the release of '{record.name}' in deployment {target.id} was pruned",
                    code="rollback.release_missing",
                    hint="Only the last kept releases can be rolled back to "
                         "(settings: keep_releases).")
            record.instances = kept_instances(ctx.dep, target, record)
            ctx.components[record.name] = record
        ctx.save_components()
        return {r.name: (None, r.commit) for r in records}

    def build_all(self, commits: dict[str, tuple[Any, str]]) -> None:
        ctx = self.ctx
        for kind, comp in ctx.built():
            ref, commit = commits[comp.name]
            ctx.log.step(f"Building {kind} '{comp.name}' at {commit[:12]}" if ref is not None
                         else f"Pulling image {commit} for {kind} '{comp.name}'")
            record: ComponentRecord = self.step(
                ("build", "components", comp.name),
                functools.partial(building.build_component, ctx, kind, comp, ref, commit,
                                  ctx.dep.force_build))
            ctx.components[comp.name] = record
            ctx.save_components()

    def switch(self) -> list[Instance]:
        """Publish static sites and switch every service of the app at once; ACTIVE."""
        ctx = self.ctx
        self.phase_check()
        with route_lock(ctx):
            old = swap.switch(ctx)
        # the routes are switched: the last step is done before the deployment says ACTIVE,
        # or `--wait` can print "ACTIVE 7/8" (it did, once in a CI run)
        ctx.save(progress=mark(ctx.dep.progress, ("deploy", "finalize"), "SUCCESS"))
        ctx.dep = transition(ctx.store, ctx.dep, Phase.ACTIVE, ctx.log)
        ctx.log.step(f"Deployment is live at {ctx.live_url} "
                     f"({time.monotonic() - self.started:.1f}s)")
        return old

    def phase_check(self) -> None:
        current = self.ctx.store.get_deployment(self.ctx.app.id, self.ctx.dep.id)
        if current.phase == Phase.CANCELED:
            raise Canceled("the deployment was canceled")

    # -- failure -----------------------------------------------------------------------------
    def fail(self, exc: Exception) -> None:
        ctx = self.ctx
        code = getattr(exc, "code", "deploy.internal_error")
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        ctx.log.error(f"Deployment failed [{code}]: {message}")
        for line in (getattr(exc, "hint", None) or "").splitlines():
            ctx.log.error(line)
        for line in getattr(exc, "tail", []):
            ctx.log.error(line)
        if self.new:
            ctx.services.runtime.stop(self.new)
            ctx.log.step(f"Stopped {len(self.new)} new instance(s); the previous release "
                         "keeps serving")
        if self.binds is not None:
            jobs.run_jobs(ctx, self.binds, "FAILED_DEPLOY", fail=False)
        reason = {"code": code, "message": ctx.log.mask(message)}
        current = ctx.store.get_deployment(ctx.app.id, ctx.dep.id)
        ctx.dep = ctx.store.update_deployment(
            current, progress=fail_open_steps(current.progress, reason), error_code=code,
            error_message=ctx.log.mask(message))
        if current.phase != Phase.CANCELED:
            ctx.dep = transition(ctx.store, ctx.dep, Phase.ERROR, ctx.log)
        rule = "DEPLOYMENT_CANCELED" if current.phase == Phase.CANCELED else "DEPLOYMENT_FAILED"
        self.notify(rule, f"Deployment {ctx.dep.id} of {ctx.app.name} "
                          f"{'was canceled' if current.phase == Phase.CANCELED else 'failed'}: "
                          f"{code}: {ctx.log.mask(message)}")

    def notify(self, rule: str, message: str) -> None:
        from dockyard.deploy.notify import notify

        try:
            notify(self.ctx.services, self.ctx.app, self.ctx.dep, rule, message)
        except Exception as exc:  # noqa: BLE001 - an alert must never fail a deployment
            self.ctx.log.error(f"could not send {rule} alert: {exc}")




def used_ports(ctx: DeployContext) -> set[int]:
    """Ports taken by apps, the control plane and every recorded instance."""
    store = ctx.store
    ports = store.used_ports() | {ctx.settings.api_port, ctx.settings.router_port}
    for app in store.list_apps():
        for dep in store.list_deployments(app.id):
            for record in records_of(dep.components):
                ports |= {i.port for i in record.instances if i.port}
    return ports


def route_lock(ctx: DeployContext) -> Any:
    """One switch at a time across deploy workers: each rewrites the whole routing table."""
    from dockyard.locks import file_lock

    return file_lock(ctx.home.run / "route.lock")


def kept_instances(dep: Deployment, target: Deployment, record: ComponentRecord
                   ) -> list[InstanceRecord]:
    """A restart naming components (``restart --components``) starts new instances of those
    only; the others' running instances are handed over as they are. Rollbacks and whole
    restarts start every instance afresh."""
    named = dep.options.get("components") or []
    if not dep.options.get("restart") or not named or record.name in named:
        return []
    return [InstanceRecord(i.index, i.port, i.program, i.deployment or target.id)
            for i in record.instances]
