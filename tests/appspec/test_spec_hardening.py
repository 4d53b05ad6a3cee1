"""Input that once passed validation and broke Dockyard later (issue 10, defects 1, 2, 5, 13):
each is refused now, with the field path, before anything is written or built."""

from __future__ import annotations

import pytest

from dockyard.appspec import SpecError, load_spec, parse_spec_data

from .helpers import issues_of, only_issue, service, spec

GH = {"repo": "acme/web"}


def alias_bomb(levels: int) -> str:
    """Nested YAML aliases: 9**levels values from a few hundred bytes."""
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    previous = "a"
    for name in "bcdefgh"[:levels - 1]:
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text + f"name: bomb\nservices: *{previous}\n"


# -- defect 1: a trailing newline (or any control character) never passes --------------------

@pytest.mark.parametrize(("data", "path"), [
    (spec(name="app\n"), "name"),
    (service(name="web\n"), "services[0].name"),
    (spec(envs=[{"key": "KEY\n", "value": "x"}]), "envs[0].key"),
    (spec(domains=[{"domain": "example.com\n"}]), "domains[0].domain"),
    (service(routes=[{"path": "/api\n"}]), "services[0].routes[0].path"),
    (service(github={"repo": "acme/web\n"}), "services[0].github.repo"),
    (service(github={"repo": "acme/web", "branch": "main\n"}), "services[0].github.branch"),
    (service(health_check={"http_path": "/health\n"}), "services[0].health_check.http_path"),
    (spec(jobs=[{"name": "job", "github": GH, "timeout": "30m\n"}]), "jobs[0].timeout"),
])
def test_a_trailing_newline_is_refused_with_the_field_path(data, path):
    issue = only_issue(data)
    assert issue.path == path
    assert "\\n" in issue.message  # shown escaped: the message stays one line


def test_a_nul_character_anywhere_is_refused():
    issue = only_issue(service(run_command="gunicorn\x00app"))
    assert issue.path == "services[0].run_command" and "NUL" in issue.message


# -- defect 2: documents that cost too much to read ------------------------------------------

def test_an_alias_bomb_is_refused_before_it_expands():
    issue = only_issue(alias_bomb(6))  # 531,441 values from 330 bytes
    assert "aliases" in issue.message and "50,000" in issue.message


def test_a_recursive_alias_is_refused():
    assert "contains it" in only_issue("a: &a [*a]\nname: app\n").message


def test_a_spec_over_the_size_limit_is_refused():
    text = "name: app\n" + "# padding\n" * (128 * 1024 // 10)
    assert "128 KiB" in only_issue(text).message


# -- defect 5: text that crashed the parser -------------------------------------------------

@pytest.mark.parametrize("text", [
    "name: app\nservices: " + "[" * 5000,
    "name: app\nservices: " + "[" * 5000 + "]" * 5000,
    '{"name": "app", "services": ' + "[" * 5000 + "]" * 5000 + "}",
    "- " * 5000 + "x",
    "".join(" " * i + "k:\n" for i in range(300)),
])
def test_deep_nesting_is_a_plain_error(text):
    issue = only_issue(text)
    assert "nest" in issue.message


@pytest.mark.parametrize("source", [
    'name: "\\ud800"\n',
    '{"name": "\\ud800"}',
    {"name": "app\ud800"},
    {"name": "app", "services": [{"\ud800": 1}]},
])
def test_a_lone_surrogate_is_a_plain_error(source):
    issue = only_issue(source)
    assert "surrogate" in issue.message
    str(issue).encode("utf-8")  # the message itself can be printed


@pytest.mark.parametrize("raw", [b"name: \xff\xfe\n", "name: app\n".encode("utf-16")])
def test_a_file_that_is_not_utf8_is_a_plain_error(tmp_path, raw):
    from dockyard.appspec import load_spec_file

    path = tmp_path / "app.yaml"
    path.write_bytes(raw)
    with pytest.raises(SpecError) as caught:
        load_spec_file(path)
    assert "UTF" in str(caught.value) and "Traceback" not in str(caught.value)


# -- defect 13: what used to fail only after the build ---------------------------------------

@pytest.mark.parametrize("path", ["/my api", '/a"b', "/a'b", "/a;b", "/../etc", "/a/../b",
                                  "/a/%2e%2e/b", "/%zz", "/a\tb", "/caf\u00e9"])
def test_unsafe_route_paths_are_refused(path):
    issue = only_issue(service(routes=[{"path": path}]))
    assert issue.path == "services[0].routes[0].path"


def test_unsafe_ingress_paths_and_rewrites_are_refused():
    rules = [{"match": {"path": {"prefix": "/a b"}}, "component": {"name": "web"}},
             {"match": {"path": {"prefix": "/b"}},
              "component": {"name": "web", "rewrite": "/x;y"}}]
    issues = issues_of(spec(ingress={"rules": rules}))
    assert [i.path for i in issues] == ["ingress.rules[0].match.path.prefix",
                                       "ingress.rules[1].component.rewrite"]


@pytest.mark.parametrize("path", ["/", "/api", "/api/v1/", "/a-b_c.d~e", "/%20x", "/@me",
                                  "/.well-known"])
def test_ordinary_route_paths_pass(path):
    parse_spec_data(service(routes=[{"path": path}]))


@pytest.mark.parametrize("where", ["../../etc", "/app/../..", "a/..", "..\\..\\etc"])
def test_source_dir_cannot_climb_out_of_the_repository(where):
    issue = only_issue(service(source_dir=where))
    assert issue.path == "services[0].source_dir" and ".." in issue.message


@pytest.mark.parametrize("field", ["index_document", "error_document", "catchall_document"])
@pytest.mark.parametrize("value", ["../../etc/passwd", "a/../b.html", "my page.html",
                                   "x.html\n"])
def test_static_documents_stay_inside_the_site(field, value):
    site = {"name": "site", "github": GH, field: value}
    issue = only_issue(spec(services=[], static_sites=[site]))
    assert issue.path == f"static_sites[0].{field}"


def test_ordinary_documents_pass():
    site = {"name": "site", "github": GH, "index_document": "/index.html",
            "catchall_document": "app/shell.html"}
    parse_spec_data(spec(services=[], static_sites=[site]))


def test_a_database_needs_an_engine():
    issue = only_issue(spec(databases=[{"name": "db"}]))
    assert issue.path == "databases[0].engine" and "required" in issue.message


def test_an_app_needs_a_component():
    issue = only_issue({"name": "app"})
    assert issue.path == "services" and "at least one component" in issue.message


@pytest.mark.parametrize("count", [0, 251, 10**9])
def test_instance_count_stays_within_digitaloceans_range(count):
    issue = only_issue(service(instance_count=count))
    assert issue.path == "services[0].instance_count" and "1–250" in issue.message


# -- what only Dockyard cannot run: valid offline, refused by the server ---------------------

@pytest.mark.parametrize("db", [{"name": "db", "engine": "MYSQL"},
                                {"name": "db", "engine": "REDIS", "production": True,
                                 "cluster_name": "cache"}])
def test_engines_dockyard_cannot_run_pass_offline_and_are_named_by_the_server(db):
    doc = parse_spec_data(spec(databases=[db]))
    [issue] = doc.unsupported()
    assert issue.path == "databases[0].engine" and "PostgreSQL" in issue.message


def test_more_service_instances_than_the_router_switches_are_named_by_the_server():
    from dockyard.appspec.capabilities import MAX_SERVICE_INSTANCES
    from dockyard.router.model import MAX_INSTANCES

    assert MAX_INSTANCES == MAX_SERVICE_INSTANCES
    doc = parse_spec_data(service(instance_count=MAX_SERVICE_INSTANCES + 1))
    [issue] = doc.unsupported()
    assert issue.path == "services[0].instance_count"
    assert parse_spec_data(service(instance_count=MAX_SERVICE_INSTANCES)).unsupported() == []


def test_a_book_spec_has_nothing_unsupported():
    from .helpers import BOOK

    for path in sorted(BOOK.glob("*.yaml")):
        assert load_spec(path.read_text(), str(path)).unsupported() == [], path
