"""Loading: YAML and JSON, the spec wrapper, positions, syntax errors and the round trip."""

from __future__ import annotations

import io
import json

import pytest

from dockyard.appspec import SpecError, SpecIssue, load_spec, load_spec_file, parse_spec_data
from dockyard.errors import DockyardError

from .helpers import BOOK, SAMPLES, issues_of, only_issue

ROUND_TRIP = """\
# Odd key order, comments, quoting styles and an indented sequence: all kept.
services:
  - run_command: |
      python manage.py migrate
      gunicorn --worker-tmp-dir /dev/shm config.wsgi
    name: web   # the Django app
    github: {repo: acme/web, branch: main}
    envs:
      - value: '1'
        key: DISABLE_COLLECTSTATIC
      - {key: HOSTS, value: "${APP_DOMAIN}", scope: RUN_TIME}

# the app's name comes last here
name: odd-order
"""


def test_three_breakages_give_three_issues_at_once():
    text = (BOOK / "profile-app.yaml").read_text()
    text = text.replace("region: nyc", "region: mars")
    text = text.replace("http_port: 8080", "http_port: '8080'")
    text = text.replace("- path: /static", "- path: /")
    with pytest.raises(SpecError) as caught:
        load_spec(text, "config/app.yaml")
    issues = caught.value.issues
    assert [i.path for i in issues] == ["region", "services[0].http_port",
                                        "static_sites[0].routes[0].path"]
    lines = str(caught.value).splitlines()
    assert lines[0] == "config/app.yaml: 3 problems in the app spec"
    assert len(lines) == 4
    assert all(line.strip().startswith("config/app.yaml:") for line in lines[1:])


def test_model_errors_and_cross_field_rules_are_reported_together():
    text = "name: app\nservices:\n- name: web\n  http_port: x\n"
    issues = issues_of(text)
    assert [(i.path, i.line) for i in issues] == [("services[0]", 3), ("services[0].http_port", 4)]
    assert "needs a source" in issues[0].message


def test_issue_lines_and_columns_point_at_the_field():
    text = "name: app\nservices:\n- name: web\n  github:\n    repo: acme/web\n  routes:\n" \
           "  - path: static\n"
    issue = only_issue(text)
    assert (issue.line, issue.column) == (7, 5)
    assert str(issue) == ('app.yaml:7:5: services[0].routes[0].path: must start with "/" '
                          '(found "static")')


def test_unknown_field_has_line_and_did_you_mean():
    issue = only_issue("name: app\nservices:\n- name: web\n  github: {repo: a/b}\n"
                       "  run_comand: gunicorn x\n")
    assert str(issue) == ('app.yaml:5:3: services[0].run_comand: unknown field; '
                          'did you mean "run_command"?')


def test_issue_str_omits_unknown_parts_cleanly():
    assert str(SpecIssue("name", "bad")) == "name: bad"
    assert str(SpecIssue("", "empty", file="a.yaml")) == "a.yaml: empty"
    assert str(SpecIssue("name", "bad", line=3)) == "line 3: name: bad"
    assert str(SpecIssue("name", "bad", 3, 1, "a.yaml")) == "a.yaml:3:1: name: bad"


def test_spec_error_is_a_dockyard_error_with_code_and_status():
    with pytest.raises(SpecError) as caught:
        load_spec("name: A\n", "app.yaml")
    error = caught.value
    assert isinstance(error, DockyardError)
    assert (error.code, error.status) == ("spec.invalid", 422)


def test_duplicate_keys_name_both_lines():
    issue = only_issue("name: app\nservices:\n- name: web\n  github: {repo: a/b}\n"
                       "  http_port: 80\n  http_port: 81\n")
    assert issue.path == "services[0].http_port"
    assert (issue.line, issue.column) == (6, 3)
    assert "first at line 5, again at line 6" in issue.message


def test_yaml_syntax_errors_have_line_and_column():
    issue = only_issue("name: app\nservices:\n- name: web\n  github: [a\nregion: nyc\n")
    assert issue.path == "" and issue.message.startswith("YAML syntax error:")
    assert issue.line is not None and issue.column is not None


def test_tabs_are_a_syntax_error_not_a_traceback():
    issue = only_issue("name: app\n\tregion: nyc\n")
    assert (issue.line, issue.column) == (2, 1)


def test_json_syntax_errors_have_line_and_column():
    issue = only_issue('{\n  "name": "app",\n  "services": [\n    {"name": "web",}\n  ]\n}')
    assert issue.message.startswith("JSON syntax error:")
    assert (issue.line, issue.column) == (4, 20)


def test_json_specs_get_line_numbers_too():
    issue = only_issue('{\n  "name": "app",\n  "region": "mars",\n  "databases": [{"name": "db", '
                       '"engine": "PG"}]\n}')
    assert (issue.path, issue.line) == ("region", 3)


def test_json_duplicate_keys_are_rejected():
    issue = only_issue('{"name": "app", "name": "other"}')
    assert "duplicate key" in issue.message and "column" in issue.message


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "the spec is empty"), ("  \n# only a comment\n", "the spec is empty"),
    ("- name: app\n", "found a list"), ("just text\n", 'found "just text"'),
    ("a: 1\n---\nb: 2\n", "YAML syntax error"),
])
def test_documents_that_are_not_a_spec(text, fragment):
    assert fragment in only_issue(text).message


def test_wrapper_paths_stay_relative_and_lines_stay_right():
    text = "spec:\n  name: app\n  services:\n  - name: web\n    github: {repo: a/b}\n" \
           "    http_port: 0\n"
    issue = only_issue(text)
    assert (issue.path, issue.line, issue.column) == ("services[0].http_port", 6, 5)


def test_wrapper_template_loads_and_round_trips():
    path = SAMPLES / "deploy-template.yaml"
    doc = load_spec_file(path)
    assert doc.spec.name == "sample-docker"
    assert "spec" not in doc.to_dict()
    assert doc.to_yaml() == path.read_text()


def test_keys_beside_the_wrapped_spec_are_rejected():
    issue = only_issue("spec:\n  name: app\n  databases: [{name: db, engine: PG}]\nproject_id: x\n")
    assert (issue.path, issue.line) == ("project_id", 4)


def test_json_file_and_api_dict_give_the_same_spec():
    path = SAMPLES / "full.json"
    from_file = load_spec_file(path)
    from_dict = parse_spec_data(json.loads(path.read_text()))
    wrapped = parse_spec_data({"spec": json.loads(path.read_text())})
    assert from_file.spec == from_dict.spec == wrapped.spec
    assert from_file.to_dict() == json.loads(path.read_text())


def test_api_dicts_have_no_line_numbers():
    issue = only_issue({"name": "app", "region": "mars",
                        "databases": [{"name": "db", "engine": "PG"}]})
    assert (issue.line, issue.column, issue.file) == (None, None, "<request>")


def test_round_trip_keeps_comments_key_order_and_quotes():
    doc = load_spec(ROUND_TRIP, "odd.yaml")
    assert doc.to_yaml() == ROUND_TRIP
    assert list(doc.to_dict()) == ["services", "name"]
    assert list(doc.to_dict()["services"][0]) == ["run_command", "name", "github", "envs"]


@pytest.mark.parametrize("path", sorted([*BOOK.glob("*.yaml"), *SAMPLES.glob("*.yaml")]),
                         ids=lambda p: p.name)
def test_every_yaml_fixture_round_trips_byte_for_byte(path):
    assert load_spec_file(path).to_yaml() == path.read_text()


def test_json_and_dicts_emit_plain_yaml():
    doc = parse_spec_data({"name": "app", "services": [{"name": "web", "github": {"repo": "a/b"}}]})
    assert doc.to_yaml() == "name: app\nservices:\n- name: web\n  github:\n    repo: a/b\n"


def test_stdin_is_read_for_dash(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        b"name: from-stdin\nservices:\n- name: web\n  github: {repo: a/b}\n")))
    assert load_spec_file("-").spec.name == "from-stdin"


def test_stdin_issues_name_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"name: X\n")))
    with pytest.raises(SpecError) as caught:
        load_spec_file("-")
    assert caught.value.issues[0].file == "<stdin>"


def test_a_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as caught:
        load_spec_file(tmp_path / "nope.yaml")
    assert caught.value.code == "spec.unreadable"
    assert "cannot read the spec file" in str(caught.value)


def test_a_binary_file_is_a_spec_error(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec_file(path)
