"""doctl's verbs and flags run in-process against ``FakeApi`` (tests/cli/fakeapi.py): what the
CLI sends, what it prints (tables, JSON, ``--wait`` progress), its errors and exit codes.
No server: the slow walk over a real one is test_doctl_walk.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.cli.client import ApiError
from dockyard.deploy.progress import mark, new_progress

APP = {"id": "a1b2", "spec": {"name": "shop"}, "default_ingress": "http://127.0.0.1:8123",
       "active_deployment": {"id": "d1"}, "created_at": "2026-01-01T10:00:00Z",
       "updated_at": "2026-01-02T10:00:00Z"}
DEP = {"id": "d2", "cause": "manual", "phase": "PENDING_BUILD", "created_at": "c",
       "updated_at": "u", "progress": {"success_steps": 0, "total_steps": 6}}
SPEC = "name: shop\nservices:\n- name: web\n  github:\n    repo: acme/shop\n    branch: main\n"


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(SPEC)
    return path


def lines(text: str, header: bool = True) -> list[list[str]]:
    """A plain table as rows of cells. Every row is padded to the same column widths, so the
    header's column starts cut each row (an empty cell stays a cell); a table printed with
    --no-header is split at its 4-space gaps."""
    import re

    rows = text.splitlines()
    if not header:
        return [re.split(r" {4,}", row) for row in rows]
    starts = [0] + [m.end() for m in re.finditer(r" {4,}", rows[0])]
    ends = [*starts[1:], None]
    return [[row[a:b].strip() for a, b in zip(starts, ends, strict=True)] for row in rows]


# -- argument parsing: doctl's verbs, short names and flags ---------------------------------

@pytest.mark.parametrize("verb", [["apps", "get"], ["apps", "g"], ["app", "g"], ["a", "get"]])
def test_doctl_short_names_reach_the_same_verb(api, run_cli, verb):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli(*verb, "shop", "--format", "ID,Spec.Name")
    assert (run.code, lines(run.out)) == (0, [["ID", "Spec Name"], ["a1b2", "shop"]])


def test_a_missing_argument_is_a_usage_error_with_exit_code_2(api, run_cli):
    run = run_cli("apps", "get")
    assert run.code == 2
    assert "Missing argument 'APP'" in run.err and api.requests == []


def test_an_unknown_verb_is_a_usage_error(api, run_cli):
    run = run_cli("apps", "lst")
    assert run.code == 2 and "No such command 'lst'" in run.err


def test_an_app_reference_is_quoted_into_the_path(api, run_cli):
    api.on("GET", "/v2/apps/my%20shop%2F1", {"app": APP})
    assert run_cli("apps", "get", "my shop/1", "--format", "ID").code == 0


def test_list_follows_pages_until_there_is_no_next(api, run_cli):
    other = {**APP, "id": "c3d4", "spec": {"name": "blog"}}
    api.on("GET", "/v2/apps", {"apps": [APP], "links": {"pages": {"next": "…"}}},
           {"apps": [other], "links": {}})
    run = run_cli("apps", "ls", "--format", "spec.name", "--no-header")
    assert run.out == "shop\nblog\n"
    assert api.sent("GET", "/v2/apps") == [{"page": 1, "per_page": 200},
                                           {"page": 2, "per_page": 200}]


def test_with_projects_is_accepted_and_passed_on(api, run_cli):
    api.on("GET", "/v2/apps", {"apps": []})
    assert run_cli("apps", "list", "--with-projects").code == 0
    assert api.sent("GET", "/v2/apps")[0]["with_projects"] == "true"


@pytest.mark.parametrize(("flags", "body"), [
    ([], {}),
    (["--components", "web,worker"], {"components": ["web", "worker"]}),
    (["--components", "web", "--components", " api "], {"components": ["web", "api"]}),
])
def test_restart_components_are_comma_separated_or_repeated(api, run_cli, flags, body):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/restart", {"deployment": DEP})
    assert run_cli("apps", "restart", "shop", *flags).code == 0
    assert api.sent("POST", "/v2/apps/a1b2/restart") == [body]


def test_create_deployment_force_rebuild_is_force_build(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/deployments", {"deployment": DEP})
    run = run_cli("apps", "cd", "shop", "--force-rebuild", "-o", "json")
    assert api.sent("POST", "/v2/apps/a1b2/deployments") == [{"force_build": True}]
    assert json.loads(run.out) == [DEP]


def test_upgrade_buildpack_sends_doctls_fields_and_names_what_it_rebuilds(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/upgrade_buildpack",
           {"affected_components": ["web", "api"], "deployment": DEP})
    run = run_cli("apps", "upgrade-buildpack", "shop", "--buildpack", "digitalocean/python",
                  "--major-version", "2", "--trigger-deployment", "false")
    assert api.sent("POST", "/v2/apps/a1b2/upgrade_buildpack") == [
        {"buildpack_id": "digitalocean/python", "trigger_deployment": False,
         "major_version": 2}]
    assert run.err == "Components to rebuild: web, api\n"
    assert lines(run.out)[1][0] == "d2"


def test_upgrading_a_buildpack_nothing_uses_fails_with_exit_1(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/upgrade_buildpack", {"affected_components": []})
    run = run_cli("apps", "upgrade-buildpack", "shop", "--buildpack", "go")
    assert run.code == 1
    assert run.err == (" !     no component of shop was built with go; nothing to upgrade\n"
                       "       `dockyard apps list-buildpacks` lists the buildpacks.\n")


# -- --format, tables and JSON --------------------------------------------------------------

def test_the_default_table_has_doctls_headers_in_order(api, run_cli):
    api.on("GET", "/v2/apps/a1b2/deployments", {"deployments": [
        {**DEP, "phase": "ACTIVE", "progress": {"success_steps": 5, "total_steps": 6,
                                                "error_steps": 1}}]})
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "list-deployments", "shop")
    assert lines(run.out) == [["ID", "Cause", "Progress", "Phase", "Created At", "Updated At"],
                              ["d2", "manual", "5/6 (errors: 1)", "ACTIVE", "c", "u"]]


def test_an_unknown_format_column_lists_the_known_ones_and_sends_nothing_more(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "get", "shop", "--format", "ID,Name,Region")
    assert run.code == 1 and run.out == ""
    assert run.err == (" !     --format: unknown column 'Name', 'Region'; known columns: ID, "
                       "Spec.Name, DefaultIngress, ActiveDeployment.ID, "
                       "InProgressDeployment.ID, Created, Updated\n")


def test_format_columns_are_case_insensitive_and_keep_the_users_order(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "get", "shop", "--format", "defaultingress, id", "--no-header")
    assert lines(run.out, header=False) == [["http://127.0.0.1:8123", "a1b2"]]


def test_json_output_is_the_whole_object(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "get", "shop", "-o", "json")
    assert json.loads(run.out) == [APP]


def test_an_output_that_is_not_text_or_json_is_a_usage_error(api, run_cli):
    run = run_cli("apps", "get", "shop", "-o", "yaml")
    assert run.code == 2 and "'yaml' is not one of 'text', 'json'" in run.err


def test_instance_sizes_show_memory_in_binary_units_and_the_tier_path(api, run_cli):
    size = {"name": "Shared 1VCPU 0.5GB", "slug": "apps-s-1vcpu-0.5gb", "cpus": "1",
            "cpu_type": "SHARED", "memory_bytes": "536870912", "usd_per_month": "5.00",
            "usd_per_second": "0.0000019", "tier_slug": "basic",
            "tier_upgrade_to": "apps-s-1vcpu-1gb", "tier_downgrade_to": ""}
    api.on("GET", "/v2/apps/tiers/instance_sizes", {"instance_sizes": [size]})
    run = run_cli("apps", "tier", "instance-size", "list")
    assert lines(run.out)[1] == ["Shared 1VCPU 0.5GB", "apps-s-1vcpu-0.5gb", "1 shared",
                                 "512.00 MiB", "5.00", "0.0000019", "basic",
                                 "apps-s-1vcpu-0.5gb -> apps-s-1vcpu-1gb"]


def test_list_buildpacks_shows_doctls_columns(api, run_cli):
    api.on("GET", "/v2/apps/buildpacks", {"buildpacks": [
        {"name": "Python", "id": "dockyard/python", "version": "0.9.0",
         "docs_link": "README.md#buildpacks"}]})
    run = run_cli("apps", "list-buildpacks")
    assert lines(run.out) == [["Name", "ID", "Version", "Documentation"],
                              ["Python", "dockyard/python", "0.9.0", "README.md#buildpacks"]]


def test_events_phase_is_an_autoscaling_events_phase_only(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/events", {"events": [
        {"id": "e1", "type": "DEPLOYMENT", "deployment_id": "d2", "created_at": "c",
         "deployment": {"phase": "ACTIVE"}},
        {"id": "e2", "type": "AUTOSCALING", "created_at": "c2",
         "autoscaling": {"phase": "SUCCEEDED"}}]})
    run = run_cli("apps", "list-events", "shop", "--event-type", "deployment,autoscaling")
    assert lines(run.out) == [["ID", "Type", "Deployment ID", "Created At", "Phase"],
                              ["e1", "DEPLOYMENT", "d2", "c", ""],
                              ["e2", "AUTOSCALING", "", "c2", "SUCCEEDED"]]
    assert api.sent("GET", "/v2/apps/a1b2/events")[0]["event_types"] == ["DEPLOYMENT",
                                                                         "AUTOSCALING"]


# -- --wait: progress on stderr, the result on stdout ---------------------------------------

def _dep(phase: str, *running: tuple[str, ...], **extra):
    progress = new_progress([("service", "web")])
    for path in running:
        progress = mark(progress, path, "RUNNING")
    return {"deployment": {**DEP, "phase": phase, "progress": progress, **extra}}


def test_wait_prints_each_phase_and_step_once_then_the_deployment(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/deployments", {"deployment": DEP})
    building = _dep("BUILDING", ("build", "components", "web"))
    api.on("GET", "/v2/apps/a1b2/deployments/d2", building, building,
           _dep("DEPLOYING", ("deploy", "initialize")), _dep("ACTIVE"))
    run = run_cli("apps", "create-deployment", "shop", "--wait", "--format", "ID,Phase",
                  "--no-header")
    assert run.code == 0
    err = [line.split(" (")[0] for line in run.err.splitlines()]
    assert err == ["-----> BUILDING", "-----> Building service web", "-----> DEPLOYING",
                   "-----> Preparing databases, jobs and new instances", "-----> ACTIVE"]
    assert lines(run.out, header=False) == [["d2", "ACTIVE"]]


def test_wait_on_a_failed_deployment_exits_1_with_the_reason_and_the_log_tail(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/deployments", {"deployment": DEP})
    api.on("GET", "/v2/apps/a1b2/deployments/d2", _dep(
        "ERROR", error={"code": "build.failed", "message": "the build of web failed"},
        log_tail=["ModuleNotFoundError: No module named 'flask'"]))
    run = run_cli("apps", "create-deployment", "shop", "--wait")
    assert run.code == 1 and run.out == ""
    assert run.err.splitlines()[-2:] == [
        " !     deployment d2 ERROR: the build of web failed",
        "       ModuleNotFoundError: No module named 'flask'"]


def test_create_with_wait_follows_the_new_apps_deployment_then_prints_the_app(api, run_cli,
                                                                              spec_file):
    created = {**APP, "in_progress_deployment": {"id": "d2"}}
    api.on("POST", "/v2/apps", {"app": created})
    api.on("GET", "/v2/apps/a1b2/deployments/d2", _dep("ACTIVE"))
    api.on("GET", "/v2/apps/a1b2", {"app": APP})
    run = run_cli("apps", "create", "--spec", str(spec_file), "--wait", "--format", "Spec.Name")
    assert (run.code, run.out, run.err.split(" (")[0]) == (0, "Spec Name\nshop\n",
                                                           "-----> ACTIVE")
    [body] = api.sent("POST", "/v2/apps")
    assert body["spec"]["services"][0]["github"]["repo"] == "acme/shop"
    assert body["spec_yaml"] == SPEC


# -- errors and exit codes ------------------------------------------------------------------

def test_an_api_error_is_a_bang_line_with_exit_1(api, run_cli):
    api.on("GET", "/v2/apps/nope", ApiError(404, {"id": "not_found",
                                                  "message": "app 'nope' not found"}))
    run = run_cli("apps", "get", "nope")
    assert (run.code, run.out, run.err) == (1, "", " !     app 'nope' not found\n")


def test_create_upsert_updates_the_app_that_already_exists(api, run_cli, spec_file):
    api.on("POST", "/v2/apps", ApiError(409, {"id": "conflict", "message": "exists"}))
    api.on("PUT", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "create", "--spec", str(spec_file), "--upsert", "--format", "ID",
                  "--no-header")
    assert (run.code, run.out) == (0, "a1b2\n")
    assert api.sent("PUT", "/v2/apps/shop")[0]["spec"]["name"] == "shop"


def test_create_without_upsert_reports_the_conflict(api, run_cli, spec_file):
    api.on("POST", "/v2/apps", ApiError(409, {"id": "conflict",
                                              "message": "an app named shop exists"}))
    run = run_cli("apps", "create", "--spec", str(spec_file))
    assert (run.code, run.err) == (1, " !     an app named shop exists\n")
    assert api.sent("PUT", "/v2/apps/shop") == []


def test_a_bad_spec_is_refused_before_any_request(api, run_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SPEC.replace("name: web", "name: Web"))
    run = run_cli("apps", "create", "--spec", str(path))
    assert run.code == 1 and api.requests == []
    assert run.err.splitlines()[:2] == [
        f" !     {path}: 1 problem in the app spec",
        f" !       {path}:3:3: services[0].name: must be 2–32 characters: lowercase letters, "
        'digits and "-", starting with a letter and not ending with "-" '
        '(^[a-z][a-z0-9-]{0,30}[a-z0-9]$) (found "Web")']


def test_delete_without_force_and_without_a_terminal_refuses(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "delete", "shop")
    assert run.code == 1 and api.sent("DELETE", "/v2/apps/a1b2") == []
    assert run.err == (" !     refusing to delete app shop without confirmation\n"
                       "       Pass --force to delete without asking.\n")


def test_delete_with_force_deletes_by_id(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("DELETE", "/v2/apps/a1b2", {})
    run = run_cli("apps", "rm", "shop", "-f")
    assert (run.code, run.out) == (0, "App deleted\n")


@pytest.mark.parametrize(("phase", "message"), [
    ("ACTIVE", "deployment d2 had already ended (ACTIVE); nothing was canceled"),
    ("ERROR", "deployment d2 had already ended (ERROR); nothing was canceled"),
])
def test_canceling_a_finished_deployment_says_so_and_sends_no_cancel(api, run_cli, phase,
                                                                    message):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/deployments/d2", {"deployment": {**DEP, "phase": phase}})
    run = run_cli("apps", "cancel-deployment", "shop", "d2")
    assert (run.code, run.err) == (1, f" !     {message}\n")
    assert api.sent("POST", "/v2/apps/a1b2/deployments/d2/cancel") == []


def test_rollback_commit_of_an_unpinned_app_exits_1(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "rollback-commit", "shop")
    assert (run.code, run.err) == (1, " !     app shop is not pinned to a rollback; nothing to "
                                      "commit\n")


def test_a_job_invocations_logs_need_the_jobs_name(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "logs", "shop", "--job-invocation", "inv1")
    assert run.code == 1
    assert "--job-invocation needs the job's name: `dockyard apps logs APP JOB " \
           "--job-invocation ID`" in run.err


def test_spec_get_refuses_a_format_other_than_yaml_or_json(api, run_cli):
    run = run_cli("apps", "spec", "get", "shop", "--format", "toml")
    assert run.code == 2 and "'toml' is not one of 'yaml', 'json'" in run.err


def test_spec_get_prints_the_yaml_as_the_user_wrote_it(api, run_cli):
    text = "# my app\n" + SPEC
    api.on("GET", "/v2/apps/shop", {"app": {**APP, "dockyard": {"spec_yaml": text}}})
    assert run_cli("apps", "spec", "get", "shop").out == text


# -- propose and spec validate --------------------------------------------------------------

def test_propose_prints_the_plan_and_what_will_not_deploy(api, run_cli, spec_file):
    api.on("POST", "/v2/apps/propose", {
        "app_name_available": False, "app_name_suggestion": "shop-2", "app_is_static": False,
        "app_cost": 0, "builds": [
            {"path": "services[0]", "component": "web", "deployable": True,
             "buildpack": "python", "reason": "found requirements.txt"},
            {"path": "workers[0]", "component": "wk", "deployable": False}],
        "undeployable": ["workers[0]: no buildpack detected"], "notes": ["region is ignored"]})
    run = run_cli("apps", "propose", "--spec", str(spec_file), "--app", "a1b2")
    assert run.code == 0
    assert run.out.splitlines() == [
        "App Name Available    no", "App Name Suggestion   shop-2", "App Is Static         no",
        "App Cost              0",
        "Builds                services[0] 'web': python (found requirements.txt)",
        "Will Not Deploy       workers[0]: no buildpack detected",
        "Note                  region is ignored"]
    assert run.err.startswith(" !     the build of wk will fail at its branch head")
    assert api.sent("POST", "/v2/apps/propose")[0]["app_id"] == "a1b2"


def test_spec_validate_schema_only_sends_nothing_and_echoes_the_spec(api, run_cli, spec_file):
    run = run_cli("apps", "spec", "validate", str(spec_file), "--schema-only")
    assert (run.code, run.out, run.err) == (0, SPEC, "")
    assert api.requests == []


def test_spec_validate_offline_when_dockyard_is_not_running(monkeypatch, run_cli, spec_file,
                                                           tmp_path):
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "no-home"))
    run = run_cli("apps", "spec", "validate", str(spec_file))
    assert (run.code, run.out) == (0, SPEC)
    assert run.err == ("       note: Dockyard is not running: checked offline only (as "
                       "--schema-only)\n")


def test_a_functions_only_spec_has_nothing_to_run(api, run_cli, tmp_path):
    path = tmp_path / "fn.yaml"
    path.write_text("name: fns\nfunctions:\n- name: fn\n  github:\n    repo: acme/fns\n")
    run = run_cli("apps", "spec", "validate", str(path), "--schema-only")
    assert run.code == 1
    assert run.err.startswith(" !     this app has nothing Dockyard can run:\n")
    assert "       Deploy its functions on DigitalOcean" in run.err


def test_commands_without_a_running_dockyard_say_how_to_start_it(monkeypatch, run_cli,
                                                                tmp_path):
    monkeypatch.setenv("DOCKYARD_HOME", str(tmp_path / "no-home"))
    run = run_cli("apps", "list")
    assert run.code == 1
    assert run.err == (f" !     Dockyard is not running for DOCKYARD_HOME={tmp_path}/no-home\n"
                       "       Start it with `dockyard up`.\n")
