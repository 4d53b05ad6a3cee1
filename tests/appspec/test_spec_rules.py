"""One test per DigitalOcean rule, on small specs given as data (the API path)."""

from __future__ import annotations

import pytest

from dockyard.appspec import parse_spec_data

from .helpers import issues_of, only_issue, paths, service, spec

GH = {"repo": "acme/web"}


# -- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ab", "a1", "a--b", "web-2", "a" * 32])
def test_valid_names_are_accepted(name):
    assert parse_spec_data(spec(name=name)).spec.name == name


@pytest.mark.parametrize("name", ["a", "1app", "app-", "App", "my_app", "a" * 33, ""])
def test_invalid_app_names_state_the_rule_and_what_was_found(name):
    issue = only_issue(spec(name=name))
    assert issue.path == "name"
    assert "2–32 characters" in issue.message and f'(found "{name}")' in issue.message


def test_component_names_follow_the_same_rule():
    assert only_issue(service(name="Web")).path == "services[0].name"


def test_component_names_are_unique_across_all_kinds_databases_included():
    data = spec(databases=[{"name": "web", "engine": "PG"}],
                workers=[{"name": "web", "github": GH}])
    issues = issues_of(data)
    assert paths(issues) == ["workers[0].name", "databases[0].name"]
    assert 'services[0] ("web") already uses it' in issues[0].message


# -- sources --------------------------------------------------------------------------------

def test_a_component_without_a_source_is_rejected():
    data = spec()
    del data["services"][0]["github"]
    issue = only_issue(data)
    assert issue.path == "services[0]"
    assert "git, github, gitlab, bitbucket, image (found none)" in issue.message


def test_two_sources_are_rejected():
    issue = only_issue(service(gitlab={"repo": "group/sub/repo"}))
    assert issue.path == "services[0].gitlab"
    assert "2 sources (github, gitlab)" in issue.message


@pytest.mark.parametrize("kind", ["static_sites", "functions"])
def test_static_sites_and_functions_cannot_use_an_image(kind):
    data = spec(**{kind: [{"name": "other", "image": {"repository": "nginx"}}]})
    issue = only_issue(data)
    assert issue.path == f"{kind}[0].image"
    assert "cannot use an image source" in issue.message


def test_databases_take_no_source():
    issue = only_issue(spec(databases=[{"name": "db", "engine": "PG", "github": GH}]))
    assert issue.path == "databases[0].github" and "unknown field" in issue.message


@pytest.mark.parametrize(("source", "repo", "ok"), [
    ("github", "owner/repo", True), ("github", "owner/sub/repo", False),
    ("github", "repo", False), ("gitlab", "group/sub/repo", True),
    ("bitbucket", "team/repo", True), ("gitlab", "repo", False),
])
def test_repo_formats(source, repo, ok):
    data = spec()
    data["services"][0] = {"name": "web", source: {"repo": repo}}
    if ok:
        parse_spec_data(data)
    else:
        assert only_issue(data).path == f"services[0].{source}.repo"


def test_image_tag_and_digest_are_exclusive():
    data = spec(workers=[{"name": "wk", "image": {
        "registry_type": "DOCR", "repository": "r", "tag": "1", "digest": "sha256:x"}}])
    issue = only_issue(data)
    assert issue.path == "workers[0].image.digest" and "tag and digest" in issue.message


def test_image_deploy_on_push_is_docr_only():
    data = spec(jobs=[{"name": "jb", "image": {
        "registry_type": "DOCKER_HUB", "registry": "library", "repository": "r",
        "deploy_on_push": {"enabled": True}}}])
    assert "only with registry_type DOCR" in only_issue(data).message


def test_docker_hub_images_need_a_registry():
    data = spec(jobs=[{"name": "jb", "image": {"registry_type": "DOCKER_HUB", "repository": "r"}}])
    assert only_issue(data).path == "jobs[0].image.registry"


# -- enums ----------------------------------------------------------------------------------

ENUM_CASES = [
    ("env scope", service(envs=[{"key": "A", "scope": "ALWAYS"}]), "services[0].envs[0].scope",
     "UNSET, RUN_TIME, BUILD_TIME, RUN_AND_BUILD_TIME"),
    ("env type", spec(envs=[{"key": "A", "type": "PLAIN"}]), "envs[0].type", "GENERAL, SECRET"),
    ("job kind", spec(jobs=[{"name": "jb", "github": GH, "kind": "PREDEPLOY"}]), "jobs[0].kind",
     'did you mean "PRE_DEPLOY"?'),
    ("db engine", spec(databases=[{"name": "db", "engine": "POSTGRES"}]),
     "databases[0].engine", "MYSQL, PG, REDIS"),
    ("alert rule", spec(alerts=[{"rule": "DEPLOY_FAILED"}]), "alerts[0].rule",
     'did you mean "DEPLOYMENT_FAILED"?'),
    ("alert operator", service(alerts=[{"rule": "CPU_UTILIZATION", "operator": ">"}]),
     "services[0].alerts[0].operator", "GREATER_THAN, LESS_THAN"),
    ("alert window", service(alerts=[{"rule": "CPU_UTILIZATION", "window": "5m"}]),
     "services[0].alerts[0].window", "FIVE_MINUTES"),
    ("protocol", service(protocol="HTTPS"), "services[0].protocol", "HTTP, HTTP2"),
    ("domain type", spec(domains=[{"domain": "app.example.com", "type": "MAIN"}]),
     "domains[0].type", "PRIMARY, ALIAS"),
    ("egress type", spec(egress={"type": "STATIC"}), "egress.type", "AUTOASSIGN, DEDICATED_IP"),
    ("region", spec(region="nyc3"), "region", "atl, nyc, sfo, tor, ams, fra, lon, blr, sgp, syd"),
    ("instance size", service(instance_size_slug="apps-s-1vcpu-3gb"),
     "services[0].instance_size_slug", "basic-xxs"),
]


@pytest.mark.parametrize(("data", "path", "fragment"), [c[1:] for c in ENUM_CASES],
                         ids=[c[0] for c in ENUM_CASES])
def test_enums_list_the_allowed_values(data, path, fragment):
    issue = only_issue(data)
    assert issue.path == path
    assert "must be one of" in issue.message and fragment in issue.message


def test_scheduled_jobs_need_a_cron():
    data = spec(jobs=[{"name": "jb", "github": GH, "kind": "SCHEDULED"}])
    issue = only_issue(data)
    assert issue.path == "jobs[0].kind" and "schedule.cron" in issue.message
    data["jobs"][0]["schedule"] = {"cron": "*/15 * * * *", "time_zone": "Asia/Kolkata"}
    assert parse_spec_data(data).spec.jobs[0].schedule.cron == "*/15 * * * *"


def test_cron_expressions_have_five_fields():
    data = spec(jobs=[{"name": "jb", "github": GH, "kind": "SCHEDULED",
                       "schedule": {"cron": "every day"}}])
    assert only_issue(data).path == "jobs[0].schedule.cron"


# -- env vars -------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "ok"), [("_A", True), ("DATABASE_URL", True), ("a1", True),
                                         ("1A", False), ("MY-VAR", False), ("A B", False)])
def test_env_keys_follow_the_regex(key, ok):
    data = spec(envs=[{"key": key, "value": "x"}])
    if ok:
        parse_spec_data(data)
    else:
        assert only_issue(data).path == "envs[0].key"


def test_encrypted_secret_values_are_valid():
    value = "EV[1:zqiRIeaaYK/NqctZDYzy6t0pTrtRDeq8:wqGpZRrsKN5nPhWQrS479cfBiXT0WQ==]"
    doc = parse_spec_data(spec(envs=[{"key": "KEY", "value": value, "type": "SECRET"}]))
    assert doc.spec.envs[0].value == value


# -- ports, counts, checks, termination -----------------------------------------------------

@pytest.mark.parametrize(("fields", "path"), [
    ({"http_port": 0}, "services[0].http_port"),
    ({"http_port": 65536}, "services[0].http_port"),
    ({"internal_ports": [8080, 0]}, "services[0].internal_ports[1]"),
    ({"health_check": {"port": 70000}}, "services[0].health_check.port"),
    ({"instance_count": 251}, "services[0].instance_count"),
])
def test_ports_and_counts_are_range_checked(fields, path):
    issue = only_issue(service(**fields))
    assert issue.path == path and "expected an integer" in issue.message


def test_instance_count_and_autoscaling_are_exclusive():
    data = service(instance_count=2, autoscaling={"min_instance_count": 1,
                                                  "max_instance_count": 250})
    assert only_issue(data).path == "services[0].instance_count"


@pytest.mark.parametrize(("fields", "path", "span"), [
    ({"health_check": {"initial_delay_seconds": 3601}},
     "services[0].health_check.initial_delay_seconds", "0–3600"),
    ({"health_check": {"period_seconds": 0}}, "services[0].health_check.period_seconds", "1–300"),
    ({"health_check": {"timeout_seconds": 121}}, "services[0].health_check.timeout_seconds",
     "1–120"),
    ({"health_check": {"failure_threshold": 51}}, "services[0].health_check.failure_threshold",
     "1–50"),
    ({"liveness_health_check": {"success_threshold": 2}},
     "services[0].liveness_health_check.success_threshold", "equal to 1"),
    ({"termination": {"drain_seconds": 111}}, "services[0].termination.drain_seconds", "1–110"),
    ({"termination": {"grace_period_seconds": 601}},
     "services[0].termination.grace_period_seconds", "1–600"),
])
def test_health_check_and_termination_ranges(fields, path, span):
    issue = only_issue(service(**fields))
    assert issue.path == path and span in issue.message


def test_drain_seconds_is_for_services_only():
    data = spec(workers=[{"name": "wk", "github": GH, "termination": {"drain_seconds": 5}}])
    issue = only_issue(data)
    assert issue.path == "workers[0].termination.drain_seconds"
    assert issue.message == "unknown field here; drain_seconds applies only to services"


# -- routes and ingress ---------------------------------------------------------------------

def test_route_paths_start_with_a_slash():
    issue = only_issue(service(routes=[{"path": "api"}]))
    assert (issue.path, issue.message) == ("services[0].routes[0].path",
                                           'must start with "/" (found "api")')


def test_ingress_prefixes_start_with_a_slash():
    data = spec(ingress={"rules": [{"component": {"name": "web"},
                                    "match": {"path": {"prefix": "api"}}}]})
    assert only_issue(data).path == "ingress.rules[0].match.path.prefix"


@pytest.mark.parametrize(("site", "ingress", "path", "other"), [
    ({"routes": [{"path": "/"}]}, None, "static_sites[0].routes[0].path",
     'static_sites[0] ("site") routes[0]'),
    ({}, {"rules": [{"component": {"name": "site"}, "match": {"path": {"prefix": "/"}}}]},
     "ingress.rules[0].match.path.prefix", 'ingress.rules[0] (to "site")'),
], ids=["two-routes", "route-and-ingress-rule"])
def test_two_components_cannot_claim_one_route_path(site: dict, ingress: dict | None,  # type: ignore[type-arg]
                                                    path: str, other: str):
    data = service(routes=[{"path": "/"}])
    data["static_sites"] = [{"name": "site", "github": GH, **site}]
    if ingress:
        data["ingress"] = ingress
    issue = only_issue(data)
    assert issue.path == path
    assert 'services[0] ("web") routes[0]' in issue.message and other in issue.message


def test_an_ingress_rule_restating_a_components_route_is_accepted():
    data = service(routes=[{"path": "/"}])
    data["ingress"] = {"rules": [{"component": {"name": "web"},
                                  "match": {"path": {"prefix": "/"}}}]}
    parse_spec_data(data)


@pytest.mark.parametrize(("rule", "path", "fragment"), [
    ({"match": {"path": {"prefix": "/"}}}, "ingress.rules[0]", "(found neither)"),
    ({"component": {"name": "web"}, "redirect": {"uri": "/"}}, "ingress.rules[0]",
     "(found component and redirect)"),
    ({"component": {"name": "wbe"}}, "ingress.rules[0].component.name",
     'no component named "wbe"'),
    ({"component": {"name": "web", "preserve_path_prefix": True, "rewrite": "/v1"}},
     "ingress.rules[0].component.rewrite", "preserve_path_prefix"),
    ({"redirect": {"uri": "/", "redirect_code": 305}}, "ingress.rules[0].redirect.redirect_code",
     "300, 301, 302, 303, 304, 307, 308"),
])
def test_ingress_rule_shape(rule, path, fragment):
    issue = only_issue(spec(ingress={"rules": [rule]}))
    assert issue.path == path and fragment in issue.message


def test_ingress_cannot_route_to_a_worker():
    data = spec(workers=[{"name": "bg", "github": GH}],
                ingress={"rules": [{"component": {"name": "bg"}}]})
    assert '"bg" is a worker' in only_issue(data).message


# -- static sites, domains, databases, alerts, logs -----------------------------------------

def test_static_site_catchall_and_error_documents_are_exclusive():
    data = spec(static_sites=[{"name": "site", "github": GH, "catchall_document": "index.html",
                               "error_document": "404.html"}])
    assert only_issue(data).path == "static_sites[0].catchall_document"


def test_at_most_one_primary_domain():
    data = spec(domains=[{"domain": "a.example.com", "type": "PRIMARY"},
                         {"domain": "b.example.com", "type": "PRIMARY"}])
    issue = only_issue(data)
    assert issue.path == "domains[1].type" and "domains[0]" in issue.message


@pytest.mark.parametrize("domain", ["localhost", "-bad.example.com", "a_b.example.com", "x.y"])
def test_domains_must_be_hostnames(domain):
    assert only_issue(spec(domains=[{"domain": domain}])).path == "domains[0].domain"


def test_production_databases_need_a_cluster_name():
    issue = only_issue(spec(databases=[{"name": "db", "engine": "PG", "production": True}]))
    assert issue.path == "databases[0].cluster_name"


def test_alert_rules_sit_at_their_level():
    data = service(alerts=[{"rule": "DEPLOYMENT_FAILED"}])
    data["alerts"] = [{"rule": "CPU_UTILIZATION"}]
    assert sorted(paths(issues_of(data))) == ["alerts[0].rule", "services[0].alerts[0].rule"]


def test_a_log_destination_names_one_target():
    data = service(log_destinations=[{"name": "logs"}])
    issue = only_issue(data)
    assert issue.path == "services[0].log_destinations[0]" and "found none" in issue.message


# -- unknown fields and wrong types ---------------------------------------------------------

def test_unknown_fields_suggest_the_closest_name():
    issue = only_issue(service(run_comand="gunicorn app.wsgi"))
    assert f"{issue.path}: {issue.message}" == (
        'services[0].run_comand: unknown field; did you mean "run_command"?')


def test_unknown_fields_without_a_close_match_list_the_allowed_fields():
    issue = only_issue(spec(egress={"zzz": 1}))
    assert issue.message == "unknown field; fields allowed here: type"


@pytest.mark.parametrize(("fields", "path", "message"), [
    ({"http_port": "abc"}, "services[0].http_port", 'expected an integer 1–65535, found "abc"'),
    ({"http_port": "8080"}, "services[0].http_port", 'expected an integer 1–65535, found "8080"'),
    ({"run_command": ["a", "b"]}, "services[0].run_command", "expected a string, found a list"),
    ({"envs": {"key": "A"}}, "services[0].envs", "expected a list, found a mapping"),
    ({"github": "acme/web"}, "services[0].github",
     'expected a mapping of fields, found "acme/web"'),
    ({"health_check": {"http_path": 5}}, "services[0].health_check.http_path",
     'expected a string, found 5; quote it: "5"'),
])
def test_wrong_types_say_what_was_expected_and_found(fields, path, message):
    issue = only_issue(service(**fields))
    assert (issue.path, issue.message) == (path, message)


# -- bindable variables ---------------------------------------------------------------------

def _binding(value, **extra):
    data = service(envs=[{"key": "REF", "value": value}])
    data["databases"] = [{"name": "db", "engine": "PG"}]
    data["static_sites"] = [{"name": "site", "github": GH}]
    data.update(extra)
    return data


@pytest.mark.parametrize("value", [
    "${db.DATABASE_URL}", "${_self.PUBLIC_URL}", "${web.PRIVATE_URL}", "${APP_URL}",
    "${APP_DOMAIN}", "${APP_ID}", "${db.mypool.DATABASE_URL}", "${site.PUBLIC_ROUTE_PATH}",
    "postgres://${db.USERNAME}:${db.PASSWORD}@${db.HOSTNAME}:${db.PORT}/${db.DATABASE}",
    "${SOME_APP_LEVEL_VAR}", "$HOME and ${", "plain",
])
def test_valid_bindable_references(value):
    parse_spec_data(_binding(value))


@pytest.mark.parametrize(("value", "fragment"), [
    ("${cache.REDIS_URL}", 'no component named "cache"'),
    ("${db.DATABASE_URI}", 'did you mean "DATABASE_URL"?'),
    ("${site.PRIVATE_URL}", '"site" is a static_site and provides PUBLIC_ROUTE_PATH'),
    ("${_self.HOSTNAME}", '"web" is a service'),
    ("${web.pool.DATABASE_URL}", "only databases have connection pools"),
])
def test_unknown_bindable_references_name_the_env_var_and_reference(value, fragment):
    issue = only_issue(_binding(value))
    assert issue.path == "services[0].envs[0].value"
    assert issue.message.startswith("${") and fragment in issue.message
