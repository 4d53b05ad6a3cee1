"""What Dockyard does with each App Spec field, and the docs table generated from it.

``python -m dockyard.appspec.support > docs/spec-fields.md`` regenerates the table; a test fails
when the file is stale or a model field is missing from ``SUPPORT`` (docs/conventions.md §14).
"""

from __future__ import annotations

from pydantic import BaseModel

USED = "used"
RECORDED = "accepted and recorded (no local meaning)"
VALIDATED = "validated; not acted on yet"

# field name -> (status, note); looked up as "<kind>.<field>" first, then "<field>".
SUPPORT: dict[str, tuple[str, str]] = {
    "name": (USED, "app and component names, DigitalOcean's pattern and length"),
    "region": (RECORDED, "maps to this machine"),
    "domains": (USED, "host names the router answers to; a PRIMARY one is ${APP_DOMAIN}; "
                      "public mode: an ACME certificate each, wildcard via a DNS-01 hook"),
    "services": (USED, "one supervised process per instance behind HAProxy"),
    "static_sites": (USED, "served by nginx from an atomically swapped `current` symlink"),
    "workers": (USED, "one supervised process per instance, no route"),
    "jobs": (USED, "PRE_DEPLOY before traffic moves, POST_DEPLOY after, FAILED_DEPLOY on failure"),
    "functions": (VALIDATED, "listed by propose/validate as not deployable; create refuses the "
                  "spec unless --skip-undeployable; a functions-only app is refused"),
    "databases": (USED, "PG: a database and role of its own on Dockyard's PostgreSQL"),
    "envs": (USED, "scopes, app/component override, bindables; SECRET encrypted and masked"),
    "alerts": (USED, "deployment, domain and JOB_INVOCATION_FAILED rules; CPU_UTILIZATION, "
                     "MEM_UTILIZATION, RESTART_COUNT on sampled metrics with operator, value "
                     "and window; to webhooks/e-mail"),
    "ingress": (USED, "rules with path prefixes, preserve_path_prefix, rewrite and "
                      "redirects (with authority.exact); on every domain"),
    "egress": (RECORDED, "traffic leaves from this machine"),
    "features": (RECORDED, "buildpack stacks do not apply; builds use the host's tools"),
    "maintenance": (RECORDED, ""),
    "vpc": (RECORDED, ""),
    "disable_edge_cache": (RECORDED, "there is no CDN"),
    "disable_email_obfuscation": (RECORDED, "pages are served unmodified anyway"),
    "enhanced_threat_control_enabled": (RECORDED, ""),
    "git": (USED, "repo_clone_url as given, also file:// and local paths"),
    "github": (USED, "https://github.com/<repo>.git through the system git (insteadOf applies)"),
    "gitlab": (USED, "https://gitlab.com/<repo>.git"),
    "bitbucket": (USED, "https://bitbucket.org/<repo>.git"),
    "image": (USED, "pulled with buildah (DOCR needs docr_registry in config.json; a "
                    "registry host in `registry` is any registry, loopback ones over HTTP); "
                    "registry_mirrors in config.json pulls a registry's images from another; "
                    "registry_credentials stored encrypted; deploy_on_push not polled"),
    "source_dir": (USED, "resolved inside the checkout (submodules included; no `..`); a "
                   "missing one lists what exists"),
    "dockerfile_path": (USED, "buildah bud with layer caching; BUILD_TIME envs as build "
                        "args; a Dockerfile at the top of source_dir is used without it"),
    "build_command": (USED, "runs with BUILD_TIME envs after the buildpack's install; for "
                      "Node it replaces the build script; not run for a Dockerfile"),
    "run_command": (USED, "bash -c, every line runs, failing lines reported; for an image, "
                    "its bash (else sh) instead of ENTRYPOINT + CMD"),
    "environment_slug": (USED, "python, node-js, go, html; others are listed as not "
                         "deployable, with the supported ones"),
    "envs.scope": (USED, ""),
    "instance_count": (USED, "that many processes behind the route (services: at most 50)"),
    "instance_size_slug": (USED, "memory, CPU and process limits per instance (cgroups; off "
                           "where the host's cgroups are not writable)"),
    "autoscaling": (RECORDED, "instance counts stay fixed"),
    "http_port": (USED, "each instance gets its own PORT instead"),
    "protocol": (RECORDED, "HTTP/1.1 to the app"),
    "internal_ports": (RECORDED, ""),
    "health_check": (USED, "readiness gate before the swap, DigitalOcean's defaults"),
    "liveness_health_check": (RECORDED, "crashed processes restart with exponential backoff"),
    "routes": (USED, "prefix stripped unless preserve_path_prefix; letters, digits, %XX and "
                     "`._~!+,=:@-/`, no `.`/`..` segments"),
    "cors": (RECORDED, ""),
    "termination": (USED, "drain_seconds before stopping old instances; grace_period_seconds"),
    "log_destinations": (RECORDED, "logs stay on this machine"),
    "inactivity_sleep": (RECORDED, ""),
    "output_dir": (USED, "after the build; unset: _static, dist, public, build scanned, a "
                   "folder the build made first; a Dockerfile's: an absolute path in the "
                   "image"),
    "index_document": (USED, ""),
    "error_document": (USED, "a plain 404 page is supplied when missing"),
    "catchall_document": (USED, "single-page apps"),
    "job.kind": (USED, "UNSPECIFIED means POST_DEPLOY; SCHEDULED runs on schedule.cron"),
    "job.schedule": (USED, "cron (cronsim) in time_zone (zoneinfo, default UTC), in the live "
                           "release, one invocation at a time"),
    "job.timeout": (USED, "the job is stopped after it (default 30m)"),
    "database.engine": (USED, "required; PG (other engines are refused at propose/create)"),
    "database.version": (USED, "dev: an older major runs on the server's (noted), a newer "
                         "one is refused at validation; production: must be the cluster's"),
    "database.production": (USED, "true needs cluster_name (an external cluster)"),
    "database.cluster_name": (USED, "`dockyard databases clusters add NAME --url …`"),
    "database.db_name": (USED, ""),
    "database.db_user": (USED, ""),
    "database.size": (RECORDED, "deprecated"),
    "database.num_nodes": (RECORDED, "deprecated"),
}


def status_of(kind: str, field: str) -> tuple[str, str]:
    return SUPPORT.get(f"{kind}.{field}") or SUPPORT.get(field) or ("", "")


def sections() -> list[tuple[str, str, type[BaseModel]]]:
    from dockyard.appspec.models import (
        AppSpec,
        DatabaseSpec,
        FunctionsSpec,
        JobSpec,
        ServiceSpec,
        StaticSiteSpec,
        WorkerSpec,
    )

    return [("app", "Top level", AppSpec), ("service", "services[]", ServiceSpec),
            ("static_site", "static_sites[]", StaticSiteSpec), ("worker", "workers[]", WorkerSpec),
            ("job", "jobs[]", JobSpec), ("functions", "functions[]", FunctionsSpec),
            ("database", "databases[]", DatabaseSpec)]


def render() -> str:
    lines = ["# App Spec fields on Dockyard", "",
             "Generated by `python -m dockyard.appspec.support`; a test keeps it in step with the "
             "models. Every field is validated with DigitalOcean's rules; this says what "
             "Dockyard does with it.", ""]
    for kind, title, model in sections():
        lines += [f"## {title}", "", "| field | on Dockyard | note |", "|---|---|---|"]
        for field in model.model_fields:
            status, note = status_of(kind, field)
            lines.append(f"| `{field}` | {status or 'MISSING'} | {note} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
