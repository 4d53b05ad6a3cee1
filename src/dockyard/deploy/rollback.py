"""Rollback: deploy a kept release again, through the same gate (docs/conventions.md §15).

DigitalOcean's shape is kept: ``validate`` says whether a target is allowed, ``rollback``
creates a deployment ``cloned_from`` the target and pins the app (deploy-on-push stops) unless
``skip_pin``, ``commit`` unpins, ``revert`` deploys what was live before the rollback. The
caller (``Platform``) hands the new deployment to the engine.
"""

from __future__ import annotations

from typing import Any

from dockyard.deploy.phases import Phase
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.store import App, Deployment

SUCCESSFUL = (Phase.ACTIVE.value, Phase.SUPERSEDED.value)


def previous_active(services: Services, app: App) -> Deployment:
    """The deployment that was live before the current one (the default target)."""
    done = services.store.list_deployments(app.id, phases=SUCCESSFUL)
    past = [d for d in done if d.phase == Phase.SUPERSEDED.value]
    if not past:
        raise DockyardError(f"app {app.name} has no earlier successful deployment to roll "
                            "back to", code="rollback.no_target")
    return past[0]


def check(services: Services, app: App, target_id: str | None
          ) -> tuple[Deployment, list[dict[str, Any]]]:
    """The target and DigitalOcean-style warnings; raise with a DO code when not allowed."""
    target = (services.store.get_deployment(app.id, target_id) if target_id
              else previous_active(services, app))
    if target.phase not in SUCCESSFUL:
        raise DockyardError(f"deployment {target.id} is {target.phase}: only deployments that "
                            "went live can be rolled back to", code="incompatible_phase")
    if target.phase == Phase.ACTIVE.value:
        raise DockyardError(f"deployment {target.id} is already live", code="incompatible_phase")
    kept = services.store.list_deployments(app.id, phases=SUCCESSFUL)[
        :services.settings.keep_releases]
    if target.id not in {d.id for d in kept}:
        raise DockyardError(f"deployment {target.id} is older than the last "
                            f"{services.settings.keep_releases} kept releases",
                            code="exceeded_revision_limit")
    current = services.store.spec_version(app.id, app.spec_version)
    old = services.store.spec_version(app.id, target.spec_version)
    warnings = []
    if [d.get("name") for d in current.get("databases", [])] != \
            [d.get("name") for d in old.get("databases", [])]:
        warnings.append({"code": "database_config_conflict", "message": "the target "
                         "deployment has other databases; data is not rolled back",
                         "components": [d.get("name") for d in old.get("databases", [])]})
    return target, warnings


def validate(services: Services, app: App, target_id: str | None) -> dict[str, Any]:
    try:
        _target, warnings = check(services, app, target_id)
    except DockyardError as exc:
        if exc.code == "not_found":
            raise
        return {"valid": False, "error": {"code": exc.code, "message": exc.message,
                                          "components": []}, "warnings": []}
    return {"valid": True, "warnings": warnings}


def rollback(services: Services, app: App, target_id: str | None, skip_pin: bool = False,
             with_data: bool = False) -> Deployment:
    """A deployment of the target's release; ``with_data`` also restores the databases from
    the backup taken before the first PRE_DEPLOY jobs that ran after the target."""
    target, _warnings = check(services, app, target_id)
    options: dict[str, Any] = {}
    if with_data:
        options["restore"] = data_backups(services, app, target)
    dep = services.store.create_deployment(
        app, phase=Phase.PENDING_BUILD.value,
        cause=f"rollback to {target.id}" + (" with data" if with_data else ""),
        cause_type="MANUAL_ROLLBACK", cloned_from=target.id, spec_version=target.spec_version,
        options=options)
    if not skip_pin:
        services.store.set_pin(app.id, dep.id)
    return dep


def data_backups(services: Services, app: App, target: Deployment) -> dict[str, str]:
    """Database → backup name: the automatic backups of the first deployment after
    ``target`` that ran PRE_DEPLOY jobs (the data as it was when the target was live)."""
    from dockyard.deploy.database_ops import list_backups

    later = sorted((d for d in services.store.list_deployments(app.id)
                    if d.created_at >= target.created_at and d.id != target.id),
                   key=lambda d: d.created_at)
    backups = list_backups(services, app)
    for dep in later:
        found = {b["database"]: b["name"] for b in backups
                 if b["name"].endswith(f"-before-{dep.id[:8]}.dump")}
        if found:
            return found
    raise DockyardError(f"no automatic backup was taken after deployment {target.id}, so its "
                        "data cannot be restored", code="rollback.no_backup",
                        hint="Backups are taken before deployments that run PRE_DEPLOY jobs; "
                             "roll back without --with-data, or restore a backup with "
                             "`dockyard databases restore APP DB BACKUP`.")


def commit(services: Services, app: App) -> None:
    services.store.set_pin(app.id, None)


def revert(services: Services, app: App) -> Deployment:
    """Undo a pinned rollback: deploy again what was live before it."""
    if not app.pinned_deployment_id:
        raise DockyardError(f"app {app.name} has no rollback to revert",
                            code="rollback.not_pinned")
    pinned = services.store.get_deployment(app.id, app.pinned_deployment_id)
    done = [d for d in services.store.list_deployments(app.id, phases=SUCCESSFUL)
            if d.created_at <= pinned.created_at and d.id != pinned.id]
    if not done:
        raise DockyardError("nothing to revert to", code="rollback.no_target")
    services.store.set_pin(app.id, None)
    dep = services.store.create_deployment(
        app, phase=Phase.PENDING_BUILD.value, cause=f"revert rollback {pinned.id}",
        cause_type="MANUAL_ROLLBACK", cloned_from=done[0].id, spec_version=done[0].spec_version)
    return dep
