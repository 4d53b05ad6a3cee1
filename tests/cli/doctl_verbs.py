"""doctl's ``apps`` verbs, their flags and short names, as doctl defines them
(``commands/apps.go``, ``apps_dev.go``, ``apps_dev_config.go``; the table of the reference
on App Platform, section 10). The CLI walk checks Dockyard against this list."""

from __future__ import annotations

VERBS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("create",): ("--spec", "--wait", "--upsert", "--update-sources", "--project-id"),
    ("get",): (),
    ("list",): ("--with-projects",),
    ("update",): ("--spec", "--update-sources", "--wait"),
    ("delete",): ("--force",),
    ("restart",): ("--components", "--wait"),
    ("create-deployment",): ("--force-rebuild", "--wait"),
    ("get-deployment",): (),
    ("list-deployments",): (),
    ("list-job-invocations",): ("--deployment", "--job-name"),
    ("get-job-invocation",): (),
    ("cancel-job-invocation",): (),
    ("list-events",): ("--event-type",),
    ("get-event",): (),
    ("cancel-event",): (),
    ("logs",): ("--type", "--deployment", "--job-invocation", "--event-id", "--follow",
                "--tail", "--no-prefix"),
    ("console",): ("--deployment", "--instance-name"),
    ("list-instances",): (),
    ("list-regions",): (),
    ("propose",): ("--spec", "--app"),
    ("list-alerts",): (),
    ("update-alert-destinations",): ("--app-alert-destinations",),
    ("list-buildpacks",): (),
    ("upgrade-buildpack",): ("--buildpack", "--major-version", "--trigger-deployment"),
    ("spec", "get"): ("--deployment", "--format"),
    ("spec", "validate"): ("--schema-only",),
    ("tier", "list"): (),
    ("tier", "get"): (),
    ("tier", "instance-size", "list"): (),
    ("tier", "instance-size", "get"): (),
    ("dev", "build"): ("--spec", "--app", "--env-file", "--no-cache", "--build-command",
                       "--timeout", "--registry"),
    ("dev", "config", "set"): ("--dev-config",),
    ("dev", "config", "unset"): ("--dev-config",),
}
"""Verb path under ``apps`` → its flags."""

GLOBAL_FLAGS = ("--format", "--no-header", "--output")
"""doctl's flags on every verb that displays objects."""

ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("create",): ("c",), ("get",): ("g",), ("list",): ("ls",), ("update",): ("u",),
    ("delete",): ("d", "rm"), ("restart",): ("r",), ("create-deployment",): ("cd",),
    ("get-deployment",): ("gd",), ("list-deployments",): ("lsd",),
    ("list-job-invocations",): ("lsji",), ("get-job-invocation",): ("gji",),
    ("cancel-job-invocation",): ("cji",), ("list-events",): ("lse",), ("get-event",): ("ge",),
    ("cancel-event",): ("ce",), ("logs",): ("l",), ("console",): ("cs",),
    ("list-instances",): ("i",), ("propose",): ("p",), ("list-alerts",): ("la",),
    ("update-alert-destinations",): ("uad",), ("tier", "list"): ("ls",),
    ("tier", "instance-size", "list"): ("ls",),
}
"""doctl's short names: the last word of the verb path may be replaced by each."""
