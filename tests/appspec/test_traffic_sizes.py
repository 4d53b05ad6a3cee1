"""What a valid spec means downstream: its routes and primary domain (traffic), the size each
component runs with (sizes), what the server refuses (capabilities), what a document may cost to
read (limits), and the env editor keeping a user's YAML comments."""

from __future__ import annotations

import pytest

from dockyard.appspec import SpecError, load_spec, parse_spec_data
from dockyard.appspec.capabilities import MAX_SERVICE_INSTANCES, unsupported
from dockyard.appspec.envedit import replace_envs
from dockyard.appspec.errors import SpecIssue, format_path, show
from dockyard.appspec.limits import (
    MAX_DEPTH,
    MAX_FLOW_BRACKETS,
    MAX_NODES,
    MAX_SPEC_BYTES,
    bad_strings,
    data_problem,
    flow_problem,
    size_problem,
)
from dockyard.appspec.sizes import BY_SLUG, DEFAULT_SLUG, SIZES, instance_size, tier_path
from dockyard.appspec.traffic import (
    primary_domain,
    primary_domain_of,
    spec_hosts,
    spec_redirects,
    spec_routes,
)

from .helpers import service, spec

GH = {"repo": "acme/web"}


def app(data):
    return parse_spec_data(data).spec


# -- traffic: routes ------------------------------------------------------------------------

def test_a_single_service_without_routes_gets_the_root():
    assert spec_routes(app(spec())) == [("/", "web", False, None)]


def test_without_a_service_the_first_static_site_gets_the_root():
    data = spec(static_sites=[{"name": "docs", "github": GH}, {"name": "blog", "github": GH}])
    del data["services"]
    assert spec_routes(app(data)) == [("/", "docs", False, None)]


def test_a_worker_only_app_has_no_route():
    data = spec(workers=[{"name": "wk", "github": GH}])
    del data["services"]
    assert spec_routes(app(data)) == []


def test_component_routes_keep_preserve_path_prefix():
    data = service(routes=[{"path": "/api", "preserve_path_prefix": True}])
    data["static_sites"] = [{"name": "site", "github": GH, "routes": [{"path": "/"}]}]
    assert spec_routes(app(data)) == [("/api", "web", True, None), ("/", "site", False, None)]


def test_ingress_rules_route_with_their_rewrite_and_redirects_are_not_routes():
    data = spec(ingress={"rules": [
        {"component": {"name": "web", "rewrite": "/v2"}, "match": {"path": {"prefix": "/api"}}},
        {"redirect": {"uri": "/new"}, "match": {"path": {"prefix": "/old"}}},
    ]})
    assert spec_routes(app(data)) == [("/api", "web", False, "/v2")]


# -- traffic: hosts, redirects, primary domain ----------------------------------------------

def test_a_wildcard_domain_also_answers_its_subdomains():
    data = spec(domains=[{"domain": "shop.example.com", "wildcard": True},
                         {"domain": "www.example.com"}])
    assert spec_hosts(app(data)) == ["shop.example.com", "*.shop.example.com", "www.example.com"]


def test_a_redirect_rule_gives_prefix_host_target_and_code():
    data = spec(ingress={"rules": [{
        "match": {"path": {"prefix": "/blog"}, "authority": {"exact": "old.example.com"}},
        "redirect": {"authority": "blog.example.com", "scheme": "https",
                     "redirect_code": 308}}]})
    assert spec_redirects(app(data)) == [{
        "prefix": "/blog", "host": "old.example.com", "uri": None,
        "authority": "blog.example.com", "port": None, "scheme": "https", "code": 308}]


def test_a_redirect_without_a_path_matches_everything():
    data = spec(ingress={"rules": [{"redirect": {"uri": "/maintenance"}}]})
    [redirect] = spec_redirects(app(data))
    assert (redirect["prefix"], redirect["host"], redirect["uri"]) == ("/", None, "/maintenance")


def test_the_primary_domain_is_the_one_typed_primary_not_the_first():
    data = spec(domains=[{"domain": "alias.example.com", "type": "ALIAS"},
                         {"domain": "shop.example.com", "type": "PRIMARY"}])
    assert primary_domain(app(data)) == "shop.example.com"
    assert primary_domain_of(data) == "shop.example.com"


def test_no_primary_domain():
    data = spec(domains=[{"domain": "a.example.com"}])
    assert primary_domain(app(data)) is None
    assert primary_domain_of(data) is None and primary_domain_of({}) is None


# -- sizes ----------------------------------------------------------------------------------

def test_a_component_without_a_size_runs_with_digitaloceans_default():
    assert instance_size(None).slug == DEFAULT_SLUG == "apps-s-1vcpu-0.5gb"
    assert instance_size(None).memory_bytes == 512 * 1024 ** 2


def test_sizes_match_their_slug():
    """The slug spells the vCPUs and memory; the table must say the same."""
    for size in SIZES:
        if size.deprecated:
            continue
        _apps, kind, cpus, memory = size.slug.split("-")[:4]
        assert size.cpu_type == {"s": "SHARED", "d": "DEDICATED"}[kind], size.slug
        assert f"{size.cpus}vcpu" == cpus, size.slug
        assert memory == f"{size.memory_gib:g}gb", size.slug


def test_every_slug_the_spec_accepts_has_a_size():
    for slug in BY_SLUG:
        parse_spec_data(service(instance_size_slug=slug))


def test_legacy_sizes_are_deprecated_and_keep_digitaloceans_tier_path():
    assert instance_size("basic-xxs").deprecated
    assert tier_path(instance_size("basic-xxs")) == ("", "professional-xs")
    assert tier_path(instance_size("professional-m")) == ("basic-s", "")


def test_a_basic_size_upgrades_to_the_smallest_shared_professional_size_with_its_memory():
    assert tier_path(instance_size("apps-s-1vcpu-0.5gb")) == ("", "apps-s-1vcpu-1gb")
    assert tier_path(instance_size("apps-s-1vcpu-1gb-fixed")) == ("", "apps-s-1vcpu-1gb")


def test_a_professional_size_downgrades_to_the_largest_basic_size_within_its_memory():
    assert tier_path(instance_size("apps-s-2vcpu-4gb")) == ("apps-s-1vcpu-1gb-fixed", "")
    assert tier_path(instance_size("apps-d-1vcpu-0.5gb")) == ("apps-s-1vcpu-0.5gb", "")


def test_single_instance_sizes_are_the_basic_ones():
    assert {s.slug for s in SIZES if s.single_instance_only} == {
        s.slug for s in SIZES if s.tier == "basic"}


# -- capabilities (the server's refusals; offline validation accepts these) -----------------

def test_engines_other_than_pg_are_refused_with_the_cluster_named():
    data = spec(databases=[{"name": "db", "engine": "MYSQL", "production": True,
                            "cluster_name": "shop-mysql"}, {"name": "pg", "engine": "PG"}])
    assert list(unsupported(app(data))) == [(("databases", 0, "engine"), (
        'Dockyard runs PostgreSQL databases only (engine: PG); a MYSQL database (production '
        'cluster "shop-mysql") cannot be provided or used here'))]


def test_too_many_service_instances_are_refused_naming_the_count():
    assert list(unsupported(app(service(instance_count=MAX_SERVICE_INSTANCES)))) == []
    [(loc, reason)] = unsupported(app(service(instance_count=MAX_SERVICE_INSTANCES + 1)))
    assert format_path(loc) == "services[0].instance_count"
    assert reason.endswith(f"(found {MAX_SERVICE_INSTANCES + 1})")


# -- limits ---------------------------------------------------------------------------------

def test_size_limit_counts_utf8_bytes_not_characters():
    assert size_problem("a" * MAX_SPEC_BYTES) is None
    over = "é" * (MAX_SPEC_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    assert size_problem(over) == (f"the spec is {MAX_SPEC_BYTES + 2:,} bytes long; the limit is "
                                  f"{MAX_SPEC_BYTES:,} bytes (128 KiB)")


def test_flow_brackets_count_only_unclosed_ones():
    assert flow_problem("[]" * 10_000) is None
    assert flow_problem("[" * MAX_FLOW_BRACKETS) is None
    assert "more than 100 nested [ or { brackets" in flow_problem("{" * (MAX_FLOW_BRACKETS + 1))


def test_plain_data_too_deep_or_too_large():
    deep: object = "x"
    for _ in range(MAX_DEPTH):
        deep = [deep]
    assert data_problem(deep) == f"the spec nests more than {MAX_DEPTH} levels deep"
    assert data_problem({"envs": list(range(MAX_NODES))}) .startswith("the spec holds 50,0")
    assert data_problem(spec()) is None


def test_an_oversized_yaml_spec_is_one_issue_at_the_top():
    text = "name: app\n# " + "x" * MAX_SPEC_BYTES + "\n"
    with pytest.raises(SpecError) as caught:
        load_spec(text, "app.yaml")
    assert len(caught.value.issues) == 1
    assert "the limit is 131,072 bytes" in caught.value.issues[0].message


def test_bad_strings_name_the_key_or_the_value_path():
    data = {"services": [{"name": "web\x00", "envs": [{"key\ud800": "v"}]}]}
    found = {format_path(loc): problem for loc, problem in bad_strings(data)}
    assert found == {
        "services[0].name": "holds a NUL character (\\u0000)",
        'services[0].envs[0]["key\\ud800"]':
            "the key holds an unpaired UTF-16 surrogate (such as \\ud800); text must be valid "
            "Unicode",
    }


# -- paths and values in messages -----------------------------------------------------------

@pytest.mark.parametrize(("loc", "shown"), [
    (("services", 0, "routes", 1, "path"), "services[0].routes[1].path"),
    (("envs", 2), "envs[2]"),
    (("services", 0, "my key"), 'services[0]["my key"]'),
    (("",), '[""]'),
    (("a\nb",), '["a\\nb"]'),
])
def test_field_paths_are_written_digitalocean_style_and_on_one_line(loc, shown):
    assert format_path(loc) == shown


@pytest.mark.parametrize(("value", "shown"), [
    ("8080", '"8080"'), (True, "true"), (None, "null"), (5, "5"), (1.5, "1.5"),
    ({"a": 1}, "a mapping"), ([1], "a list"), ("two\nlines", '"two\\nlines"'),
])
def test_values_are_shown_as_the_user_wrote_them(value, shown):
    assert show(value) == shown


def test_an_issue_reads_file_line_column_path_message():
    issue = SpecIssue("services[0].http_port", "expected an integer", 7, 5, "app.yaml")
    assert str(issue) == "app.yaml:7:5: services[0].http_port: expected an integer"
    assert str(SpecIssue("name", "bad", 3)) == "line 3: name: bad"


# -- envedit: comments survive an edit ------------------------------------------------------

TEXT = """\
name: shop
services:
- name: web            # the storefront
  github:
    repo: you/shop
  envs:
  # database settings
  - key: DB_POOL       # connections
    value: "5"
  - key: DEBUG
    value: "false"     # never in production
workers:
- name: mailer
  github:
    repo: you/shop
"""


def test_adding_a_component_variable_keeps_comments_quotes_and_the_list_style():
    out = replace_envs(TEXT, {"web": [{"key": "DB_POOL", "value": "5"},
                                      {"key": "DEBUG", "value": "false"},
                                      {"key": "SENTRY_ENV", "value": "prod", "scope": "RUN_TIME"}]})
    assert out.startswith(TEXT.split("workers:")[0].rstrip("\n"))
    added = out.split('value: "false"     # never in production\n')[1].split("workers:")[0]
    assert added == "  - key: SENTRY_ENV\n    value: prod\n    scope: RUN_TIME\n"
    assert load_spec(out, "app.yaml").spec.services[0].envs[2].key == "SENTRY_ENV"


def test_a_worker_without_envs_gets_an_envs_list():
    out = replace_envs(TEXT, {"mailer": [{"key": "QUEUE", "value": "mail"}]})
    assert out.startswith(TEXT)  # the text before the new key is byte for byte the user's
    mailer = load_spec(out, "app.yaml").spec.workers[0]
    assert [(e.key, e.value) for e in mailer.envs] == [("QUEUE", "mail")]


def test_reordering_variables_keeps_each_ones_comment():
    out = replace_envs(TEXT, {"web": [{"key": "DEBUG", "value": "false"},
                                      {"key": "DB_POOL", "value": "5"}]})
    assert out.index("# never in production") < out.index("# connections")
    assert "# the storefront" in out


def test_instance_size_slug_is_not_reported_as_having_no_local_effect():
    """It sets the instance's cgroup limits (README, Isolation): validate must not say "no
    CPU/memory limit is applied", and the generated field table says it is used."""
    from dockyard.appspec.support import USED, status_of

    doc = load_spec("name: app\nservices:\n- name: web\n  github: {repo: a/b}\n"
                    "  instance_size_slug: apps-s-1vcpu-1gb\n", "app.yaml")
    assert not [note for note in doc.notes if "instance_size_slug" in note]
    status, why = status_of("service", "instance_size_slug")
    assert status == USED and "memory, CPU and process limits per instance" in why
