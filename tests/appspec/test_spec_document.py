"""The loaded document: what the user wrote, DigitalOcean's defaults, notes, env semantics."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dockyard.appspec import (
    AlertRule,
    DatabaseEngine,
    EnvScope,
    EnvType,
    EnvVar,
    JobKind,
    bindable_refs,
    env_visible,
    is_encrypted_secret,
    load_spec_file,
    merged_envs,
    parse_spec_data,
)

from .helpers import BOOK, SAMPLES, service, spec


def test_to_dict_returns_only_what_the_user_wrote():
    data = service(envs=[{"key": "A", "value": "1"}])
    doc = parse_spec_data(data)
    assert doc.to_dict() == data
    web = doc.spec.services[0]
    assert (web.http_port, web.instance_count, web.envs[0].scope) == (8080, 1, "RUN_AND_BUILD_TIME")


def test_to_dict_keeps_defaults_the_user_spelled_out():
    doc = load_spec_file(BOOK / "profile-app.yaml")
    assert doc.to_dict()["services"][0]["http_port"] == 8080
    assert "health_check" not in doc.to_dict()["services"][0]


def test_digitalocean_defaults():
    data = spec(jobs=[{"name": "job", "github": {"repo": "a/b"}}],
                static_sites=[{"name": "site", "github": {"repo": "a/b"}}],
                workers=[{"name": "worker", "github": {"repo": "a/b"},
                          "liveness_health_check": {}}])
    data["services"][0]["liveness_health_check"] = {}
    app = parse_spec_data(data).spec
    web = app.services[0]
    ready, live = web.health_check, web.liveness_health_check
    assert (ready.initial_delay_seconds, ready.period_seconds, ready.timeout_seconds,
            ready.success_threshold, ready.failure_threshold) == (0, 10, 1, 1, 9)
    assert (live.initial_delay_seconds, live.period_seconds, live.timeout_seconds,
            live.success_threshold, live.failure_threshold) == (5, 10, 1, 1, 18)
    assert (web.termination.drain_seconds, web.termination.grace_period_seconds) == (15, 120)
    assert (web.protocol, web.http_port, web.instance_count) == ("HTTP", 8080, 1)
    job = app.jobs[0]
    assert (job.kind, job.effective_kind, job.timeout) == ("UNSPECIFIED", "POST_DEPLOY", "30m")
    assert job.termination.grace_period_seconds == 120
    site = app.static_sites[0]
    assert (site.index_document, site.error_document, site.catchall_document) == (
        "index.html", "404.html", None)
    assert app.workers[0].liveness_health_check.failure_threshold == 18
    assert EnvVar(key="A").type == EnvType.GENERAL


def test_components_follow_godo_order():
    doc = load_spec_file(SAMPLES / "workers-ingress.yaml")
    kinds = [(kind, comp.name) for kind, comp in doc.spec.components()]
    assert kinds == [("service", "api"), ("service", "web"), ("worker", "queue"),
                     ("job", "nightly-report"), ("job", "migrate"), ("static_site", "docs"),
                     ("database", "db"), ("database", "cache")]
    assert doc.spec.component("cache").engine == DatabaseEngine.REDIS
    assert doc.spec.component("missing") is None


def test_notes_record_fields_with_no_local_meaning():
    doc = load_spec_file(SAMPLES / "workers-ingress.yaml")
    assert 'region "fra": recorded; apps run on this machine' in doc.notes
    assert not [n for n in doc.notes if "instance_size_slug" in n]  # it sets cgroup limits
    assert "services[0].alerts[0] CPU_UTILIZATION: recorded; not evaluated locally" in doc.notes
    assert "services[0].alerts[1] MEM_UTILIZATION: recorded; not evaluated locally" in doc.notes


def test_a_spec_without_such_fields_has_no_notes():
    assert parse_spec_data(spec()).notes == []


def test_functions_validate_but_are_undeployable_and_image_sources_are_deployable():
    doc = load_spec_file(SAMPLES / "functions-image.yaml")
    issues = doc.undeployable()
    assert [(i.path, i.line) for i in issues] == [("functions[0]", 14)]
    assert "not yet deployable by Dockyard" in issues[0].message
    assert '"api-fns"' in issues[0].message
    assert load_spec_file(BOOK / "profile-app.yaml").undeployable() == []


@pytest.mark.parametrize(("scope", "build", "run"), [
    ("RUN_TIME", False, True), ("BUILD_TIME", True, False), ("RUN_AND_BUILD_TIME", True, True),
    ("UNSET", True, True), (None, True, True),
])
def test_env_scope_semantics(scope, build, run):
    var = EnvVar(key="A", scope=scope) if scope else EnvVar(key="A")
    assert (env_visible(var, build=True), env_visible(var, build=False)) == (build, run)


def test_component_envs_override_app_envs_by_key_within_scope():
    data = service(envs=[{"key": "SHARED", "value": "component", "scope": "RUN_TIME"},
                         {"key": "OWN", "value": "x"}])
    data["envs"] = [{"key": "SHARED", "value": "app"}, {"key": "BUILD_ONLY", "value": "b",
                                                         "scope": "BUILD_TIME"}]
    app = parse_spec_data(data).spec
    web = app.services[0]
    run = {v.key: v.value for v in merged_envs(app, web, build=False)}
    build = {v.key: v.value for v in merged_envs(app, web, build=True)}
    assert run == {"SHARED": "component", "OWN": "x"}
    assert build == {"SHARED": "app", "BUILD_ONLY": "b", "OWN": "x"}


def test_databases_get_no_envs_of_their_own():
    data = spec(envs=[{"key": "A", "value": "1"}], databases=[{"name": "db", "engine": "PG"}])
    app = parse_spec_data(data).spec
    assert [v.key for v in merged_envs(app, app.component("db"), build=False)] == ["A"]


def test_bindable_refs_lists_every_reference():
    value = "postgres://${db.USERNAME}:${db.PASSWORD}@${db.HOSTNAME}/x?app=${APP_ID}"
    assert bindable_refs(value) == ["db.USERNAME", "db.PASSWORD", "db.HOSTNAME", "APP_ID"]
    assert bindable_refs("no refs, $HOME, ${unclosed") == []


def test_encrypted_secret_detection():
    assert is_encrypted_secret("EV[1:zqiRIeaaYK/NqctZDYz:wqGpZRrsKN5nPhWQ==]")
    assert not is_encrypted_secret("hunter2")
    assert not is_encrypted_secret(None)


def test_enums_use_digitaloceans_names():
    assert [s.value for s in EnvScope] == ["UNSET", "RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME"]
    assert JobKind.SCHEDULED == "SCHEDULED" and AlertRule.CPU_UTILIZATION == "CPU_UTILIZATION"


def test_importing_the_spec_package_stays_light():
    code = ("import sys, dockyard.appspec; heavy = {'starlette', 'httpx', 'rich', 'typer', "
            "'cryptography', 'jinja2', 'uvicorn'} & set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
