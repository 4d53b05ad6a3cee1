"""Field values a user writes by hand: schedules (cron and time zone, and when a job runs),
paths and branches, durations; each refusal names the field and shows what was found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dockyard.appspec import parse_spec_data
from dockyard.appspec.cron import cron_problem, expand, latest_tick, next_tick
from dockyard.appspec.fields import did_you_mean

from .helpers import only_issue, service, spec

GH = {"repo": "acme/web"}


def job(**schedule):
    return spec(jobs=[{"name": "jb", "github": GH, "kind": "SCHEDULED", "schedule": schedule}])


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# -- schedules ------------------------------------------------------------------------------

@pytest.mark.parametrize("cron", ["0 3 * * *", "*/15 * * * 1-5", "@daily", "@hourly",
                                  "0  3 * *   *", "30 2 1 */2 *"])
def test_cron_schedules_digitalocean_accepts(cron):
    assert parse_spec_data(job(cron=cron)).spec.jobs[0].schedule.cron == cron


@pytest.mark.parametrize("cron", ["0 3 * *", "60 * * * *", "0 24 * * *", "* * 32 * *",
                                  "0 3 * * * *", "@fortnightly", "@DAILY"])
def test_cron_schedules_out_of_range_or_with_the_wrong_field_count(cron):
    issue = only_issue(job(cron=cron))
    assert issue.path == "jobs[0].schedule.cron"
    assert issue.message.startswith("must be a cron expression with 5 fields")
    assert issue.message.endswith(f"(found {cron!r})".replace("'", '"'))


def test_macros_expand_to_their_five_fields():
    assert [expand(m) for m in ("@daily", "@Weekly", " @hourly ")] == [
        "0 0 * * *", "0 0 * * 0", "0 * * * *"]
    assert cron_problem("@daily") is None and cron_problem("61 * * * *")


def test_the_newest_tick_at_or_before_now_in_utc():
    now = ts("2026-03-10T03:20:00+00:00")
    assert latest_tick("*/15 * * * *", None, now) == ts("2026-03-10T03:15:00+00:00")
    assert latest_tick("20 3 * * *", "UTC", now) == now  # "at or before" includes now


def test_ticks_follow_the_jobs_time_zone():
    now = ts("2026-03-10T00:00:00+00:00")  # 05:30 in Kolkata
    assert next_tick("0 6 * * *", "Asia/Kolkata", now) == ts("2026-03-10T00:30:00+00:00")
    assert latest_tick("0 5 * * *", "Asia/Kolkata", now) == ts("2026-03-09T23:30:00+00:00")


def test_a_daylight_saving_change_keeps_local_time():
    before = ts("2026-03-27T12:00:00+00:00")  # Paris moves to UTC+2 on 2026-03-29
    first = next_tick("0 9 * * *", "Europe/Paris", before)
    second = next_tick("0 9 * * *", "Europe/Paris", first)
    assert datetime.fromtimestamp(first, UTC).hour == 8
    assert datetime.fromtimestamp(second, UTC).hour == 7


def test_an_unknown_time_zone_at_run_time_names_it():
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        next_tick("@daily", "Mars/Base", 0)


# -- paths, branches, durations -------------------------------------------------------------

@pytest.mark.parametrize(("fields", "path", "words"), [
    ({"github": {"repo": "acme/web", "branch": "-main"}}, "services[0].github.branch",
     'must be a git branch name such as "main"'),
    ({"github": {"repo": "acme/web", "branch": "my branch"}}, "services[0].github.branch",
     "no spaces"),
    ({"health_check": {"http_path": "/health check"}}, "services[0].health_check.http_path",
     "without spaces or control characters, such as /healthz"),
    ({"source_dir": "app/../../etc"}, "services[0].source_dir", "no \"..\" segments"),
    ({"routes": [{"path": "/api;drop"}]}, "services[0].routes[0].path",
     'must not contain ";"'),
    ({"routes": [{"path": "/a/%2e%2e/b"}]}, "services[0].routes[0].path",
     'must not have a "." or ".." segment'),
    ({"routes": [{"path": "/" + "a" * 256}]}, "services[0].routes[0].path",
     "at most 256 characters"),
])
def test_hand_written_paths_and_branches_are_checked(fields, path, words):
    issue = only_issue(service(**fields))
    assert issue.path == path and words in issue.message


def test_a_git_source_needs_a_url_git_can_clone():
    data = spec()
    data["services"][0] = {"name": "web", "git": {"repo_clone_url": "--upload-pack=x"}}
    issue = only_issue(data)
    assert issue.path == "services[0].git.repo_clone_url"
    assert issue.message == ('must be a URL git can clone (no control characters, not '
                             'starting with "-") (found "--upload-pack=x")')


@pytest.mark.parametrize(("doc", "ok"), [("index.html", True), ("docs/404.html", True),
                                         ("../index.html", False), ("a b.html", False)])
def test_static_documents_are_files_inside_the_site(doc, ok):
    data = spec(static_sites=[{"name": "site", "github": GH, "index_document": doc}])
    if ok:
        parse_spec_data(data)
    else:
        assert only_issue(data).path == "static_sites[0].index_document"


@pytest.mark.parametrize(("age", "ok"), [("30m", True), ("1h30m", True), ("90s", True),
                                         ("2 hours", False), ("30", False)])
def test_cors_max_age_is_a_duration(age, ok):
    data = service(cors={"max_age": age})
    if ok:
        parse_spec_data(data)
    else:
        issue = only_issue(data)
        assert issue.path == "services[0].cors.max_age"
        assert 'must be a duration such as "30m", "90s" or "1h30m"' in issue.message


# -- suggestions ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "choices", "hint"), [
    ("DATABASE_URI", ["DATABASE_URL", "PORT"], '; did you mean "DATABASE_URL"?'),
    ("zzz", ["DATABASE_URL", "PORT"], ""),
    (5, ["a"], ""),
])
def test_did_you_mean_only_for_a_close_string(value, choices, hint):
    assert did_you_mean(value, choices) == hint
