"""DigitalOcean's App Spec rules not covered in test_spec_rules, as a table: the spec, the field
path the refusal names, and words of the message a user reads (reference: app-spec.md)."""

from __future__ import annotations

import pytest

from dockyard.appspec import parse_spec_data

from .helpers import issues_of, only_issue, paths, service, spec

GH = {"repo": "acme/web"}
DOCR = {"registry_type": "DOCR", "repository": "web", "tag": "1"}


def _ingress(*rules):
    return spec(ingress={"rules": list(rules)})


def _site(**fields):
    return spec(static_sites=[{"name": "site", "github": GH, **fields}])


def _functions(**fields):
    return spec(functions=[{"name": "fn", "github": GH, **fields}])


def _db(**fields):
    return spec(databases=[{"name": "db", **fields}])


# (id, spec, field path, words the message must hold)
REFUSALS = [
    # §2.1 image sources
    ("docr-takes-no-registry",
     service(github=None, image={**DOCR, "registry": "acme"}),
     "services[0].image.registry", "must be empty when registry_type is DOCR"),
    ("deploy-on-push-not-with-digest",
     spec(workers=[{"name": "wk", "image": {"registry_type": "DOCR", "repository": "w",
                                            "digest": "sha256:abc",
                                            "deploy_on_push": {"enabled": True}}}]),
     "workers[0].image.deploy_on_push", "cannot be used with a digest"),
    ("ghcr-deploy-on-push",
     spec(jobs=[{"name": "jb", "image": {"registry_type": "GHCR", "registry": "acme",
                                         "repository": "j", "deploy_on_push": {"enabled": True}}}]),
     "jobs[0].image.deploy_on_push", "(found GHCR)"),
    # §2.3 scaling
    ("autoscaling-min-above-max",
     service(autoscaling={"min_instance_count": 5, "max_instance_count": 2}),
     "services[0].autoscaling.min_instance_count", "must not exceed max_instance_count (2) "
                                                   "(found 5)"),
    # §2.6 CORS: StringMatch takes exactly one of exact, prefix, regex
    ("cors-origin-two-matchers",
     service(cors={"allow_origins": [{"exact": "https://a.example.com",
                                      "prefix": "https://"}]}),
     "services[0].cors.allow_origins[0]", "exactly one of exact, prefix, regex (found exact, "
                                          "prefix)"),
    ("cors-origin-no-matcher",
     service(cors={"allow_origins": [{}]}),
     "services[0].cors.allow_origins[0]", "(found none)"),
    # §2.7 log destinations
    ("log-destination-two-targets",
     service(log_destinations=[{"name": "logs", "papertrail": {"endpoint": "syslog+tls://a:1"},
                                "logtail": {"token": "t"}}]),
     "services[0].log_destinations[0]", "(found papertrail, logtail)"),
    ("open-search-endpoint-and-cluster",
     service(log_destinations=[{"name": "logs", "open_search": {
         "endpoint": "https://search.example.com:25060", "cluster_name": "logs"}}]),
     "services[0].log_destinations[0].open_search.cluster_name",
     "cannot be set together with endpoint"),
    # §3 databases
    ("database-without-engine", _db(),
     "databases[0].engine", "is required: one of"),
    ("db-name-is-pg-mysql-only", _db(engine="REDIS", db_name="cache"),
     "databases[0].db_name", "applies only to engine PG or MYSQL (found REDIS)"),
    ("db-user-is-pg-mysql-only", _db(engine="MONGODB", db_user="me"),
     "databases[0].db_user", "(found MONGODB)"),
    # §4 ingress
    ("ingress-prefix-and-exact",
     _ingress({"component": {"name": "web"}, "match": {"path": {"prefix": "/a",
                                                                "exact": "/b"}}}),
     "ingress.rules[0].match.path", "set prefix or exact, not both"),
    ("ingress-authority-two-matchers",
     _ingress({"component": {"name": "web"},
               "match": {"authority": {"exact": "a.example.com", "prefix": "a"}}}),
     "ingress.rules[0].match.authority", "exactly one of exact, prefix, regex"),
    ("ingress-to-a-database",
     spec(databases=[{"name": "db", "engine": "PG"}],
          ingress={"rules": [{"component": {"name": "db"}}]}),
     "ingress.rules[0].component.name", '"db" is a database; only services, static sites and '
                                        "functions take traffic"),
    ("ingress-unknown-component-lists-routable",
     spec(workers=[{"name": "wk", "github": GH}],
          ingress={"rules": [{"component": {"name": "api"}}]}),
     "ingress.rules[0].component.name", "(components that take traffic: web)"),
    # §2.5 functions take no preserve_path_prefix
    ("functions-route-preserve-prefix",
     _functions(routes=[{"path": "/fn", "preserve_path_prefix": True}]),
     "functions[0].routes[0].preserve_path_prefix", "does not apply to functions components"),
    ("functions-ingress-preserve-prefix",
     spec(functions=[{"name": "fn", "github": GH}],
          ingress={"rules": [{"component": {"name": "fn", "preserve_path_prefix": True},
                              "match": {"path": {"prefix": "/fn"}}}]}),
     "ingress.rules[0].component.preserve_path_prefix", "does not apply to functions"),
    # alerts: rules of one component kind do not apply to another
    ("worker-alert-rule-of-another-kind",
     spec(workers=[{"name": "wk", "github": GH,
                    "alerts": [{"rule": "FUNCTIONS_ACTIVATION_COUNT"}]}]),
     "workers[0].alerts[0].rule", "it belongs in another kind"),
    ("component-alert-rule-at-app-level",
     spec(alerts=[{"rule": "MEM_UTILIZATION"}]),
     "alerts[0].rule", "is a component rule; put it in a component's alerts"),
    # §6 bindables
    ("job-provides-nothing",
     service(envs=[{"key": "X", "value": "${jb.COMMIT_HASH}"}]) | {
         "jobs": [{"name": "jb", "github": GH, "kind": "PRE_DEPLOY"}]},
     "services[0].envs[0].value", "jobs provide no bindable variables"),
    ("four-part-reference",
     spec(envs=[{"key": "X", "value": "${db.a.b.PORT}"}],
          databases=[{"name": "db", "engine": "PG"}]),
     "envs[0].value", "expected ${<component>.<VARIABLE>} or ${<db>.<pool>.<VARIABLE>}"),
    ("unknown-component-did-you-mean",
     spec(envs=[{"key": "X", "value": "${wbe.PRIVATE_URL}"}]),
     "envs[0].value", 'no component named "wbe"; did you mean "web"?'),
    ("worker-has-no-url",
     spec(workers=[{"name": "wk", "github": GH,
                    "envs": [{"key": "X", "value": "${_self.PUBLIC_URL}"}]}]),
     "workers[0].envs[0].value", '"wk" is a worker and provides COMMIT_HASH (found "PUBLIC_URL")'),
    # jobs
    ("cron-time-zone",
     spec(jobs=[{"name": "jb", "github": GH, "kind": "SCHEDULED",
                 "schedule": {"cron": "0 * * * *", "time_zone": "Mars/Olympus"}}]),
     "jobs[0].schedule.time_zone", "tz-database time zone"),
]


@pytest.mark.parametrize(("data", "path", "words"), [c[1:] for c in REFUSALS],
                         ids=[c[0] for c in REFUSALS])
def test_digitalocean_rule_is_refused_at_its_field(data, path, words):
    data = _drop_none(data)
    issue = only_issue(data)
    assert issue.path == path, str(issue)
    assert words in issue.message, str(issue)


def _drop_none(data):
    """``service(github=None, …)`` means "no github source": remove the key."""
    for comps in data.values():
        if isinstance(comps, list):
            for comp in comps:
                if isinstance(comp, dict):
                    for key in [k for k, v in comp.items() if v is None]:
                        del comp[key]
    return data


# Their valid neighbours: each refusal above has a spec one step away that DigitalOcean accepts.
ACCEPTED = [
    ("docr-without-registry", service(github=None, image=DOCR)),
    ("docker-hub-with-registry", service(github=None, image={
        "registry_type": "DOCKER_HUB", "registry": "library", "repository": "nginx"})),
    ("autoscaling-min-equals-max",
     service(autoscaling={"min_instance_count": 2, "max_instance_count": 2})),
    ("cors-one-matcher", service(cors={"allow_origins": [{"regex": "^https://.*$"}],
                                       "allow_methods": ["GET"]})),
    ("db-name-on-pg", _db(engine="PG", db_name="shop", db_user="shop")),
    ("dev-redis", _db(engine="REDIS")),
    ("ingress-exact-path", _ingress({"component": {"name": "web"},
                                     "match": {"path": {"exact": "/health"}}})),
    ("ingress-redirect", _ingress({"redirect": {"uri": "/new", "redirect_code": 301},
                                   "match": {"path": {"prefix": "/old"}}})),
    ("functions-route", _functions(routes=[{"path": "/fn"}])),
    ("app-level-self-reference", spec(envs=[{"key": "X", "value": "${_self.PUBLIC_URL}"}])),
    ("worker-commit-hash", spec(workers=[{"name": "wk", "github": GH, "envs": [
        {"key": "X", "value": "${_self.COMMIT_HASH}"}]}])),
    ("job-time-zone", spec(jobs=[{"name": "jb", "github": GH, "kind": "SCHEDULED",
                                  "schedule": {"cron": "@daily", "time_zone": "Europe/Paris"}}])),
    ("one-primary-one-alias", spec(domains=[{"domain": "a.example.com", "type": "PRIMARY"},
                                            {"domain": "b.example.com", "type": "ALIAS"}])),
]


@pytest.mark.parametrize("data", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_the_valid_neighbour_is_accepted(data):
    assert parse_spec_data(_drop_none(data)).spec.name == "app"


def test_same_path_on_different_hosts_is_not_a_conflict():
    data = _ingress(
        {"component": {"name": "web"}, "match": {"path": {"prefix": "/"},
                                                 "authority": {"exact": "a.example.com"}}},
        {"component": {"name": "web"}, "match": {"path": {"prefix": "/"},
                                                 "authority": {"exact": "b.example.com"}}})
    parse_spec_data(data)


def test_the_same_path_twice_in_ingress_names_both_rules():
    data = _ingress({"component": {"name": "web"}, "match": {"path": {"prefix": "/api"}}},
                    {"redirect": {"uri": "/v2"}, "match": {"path": {"prefix": "/api"}}})
    issue = only_issue(data)
    assert issue.path == "ingress.rules[1].match.path.prefix"
    assert issue.message == ('route path "/api" is claimed twice: by ingress.rules[0] '
                             '(to "web") and by ingress.rules[1] (redirect); each path must be '
                             "unique across the app")


def test_every_problem_of_a_spec_comes_back_at_once_in_rule_order():
    data = spec(domains=[{"domain": "a.example.com", "type": "PRIMARY"},
                         {"domain": "b.example.com", "type": "PRIMARY"}],
                databases=[{"name": "db", "engine": "PG", "production": True}],
                envs=[{"key": "X", "value": "${nope.PORT}"}])
    assert paths(issues_of(data)) == ["databases[0].cluster_name", "domains[1].type",
                                      "envs[0].value"]


def test_a_spec_error_message_lists_each_issue_on_its_own_line():
    from dockyard.appspec import SpecError

    with pytest.raises(SpecError) as caught:
        parse_spec_data(_db(engine="REDIS", db_name="x", db_user="y"))
    lines = str(caught.value).splitlines()
    assert lines[0] == "<request>: 2 problems in the app spec"
    assert lines[1:] == [
        "  <request>: databases[0].db_name: applies only to engine PG or MYSQL (found REDIS)",
        "  <request>: databases[0].db_user: applies only to engine PG or MYSQL (found REDIS)"]
