"""``apps get`` (domains and the webhook), rollbacks, ``spec validate`` checked by the server,
and ``databases``: in-process against ``FakeApi``, asserting what is sent and printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_inprocess import APP, DEP, SPEC, lines

HOOK = {"url": "https://dockyard.example.com/v2/dockyard/webhooks/github/a1b2",
        "content_type": "application/json", "secret": "whsec_123"}


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(SPEC)
    return path


# -- apps get: domains and the webhook ------------------------------------------------------

def test_get_lists_each_domain_with_its_phase_and_why(api, run_cli):
    app = {**APP, "dockyard": {"default_ingress": {
        "domain": "shop.apps.example.com", "phase": "ACTIVE", "reason": "",
        "certificate_expires_at": "2026-04-01T00:00:00Z"}},
        "domains": [{"spec": {"domain": "shop.example.com", "type": "PRIMARY"},
                     "phase": "CONFIGURING", "progress": {"steps": [
                         {"reason": {"message": "no DNS record points here yet"}}]}}]}
    api.on("GET", "/v2/apps/shop", {"app": app})
    run = run_cli("apps", "get", "shop")
    assert run.out.split("\n\n")[1].splitlines() == [
        "Domains:",
        f"  {'shop.apps.example.com':<40} DEFAULT  {'ACTIVE':<12} certificate valid until "
        "2026-04-01",
        f"  {'shop.example.com':<40} PRIMARY  {'CONFIGURING':<12} no DNS record points here yet"]


def test_get_shows_the_webhook_and_hides_the_secret_from_read_only_tokens(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": {**APP, "dockyard": {"webhook": HOOK}}},
           {"app": {**APP, "dockyard": {"webhook": {**HOOK, "secret": ""}}}})
    first = run_cli("apps", "get", "shop").out.splitlines()[-1]
    assert first == (f"GitHub webhook (deploy_on_push): POST {HOOK['url']}  content type "
                     "application/json, secret whsec_123")
    second = run_cli("apps", "get", "shop").out.splitlines()[-1]
    assert second.endswith("secret (hidden from read-only tokens)")


def test_get_with_format_or_json_prints_only_the_app(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": {**APP, "dockyard": {"webhook": HOOK}}})
    assert "webhook" not in run_cli("apps", "get", "shop", "--format", "ID").out
    assert json.loads(run_cli("apps", "get", "shop", "-o", "json").out)[0]["id"] == "a1b2"


# -- rollbacks ------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "body"), [
    (["d1"], {"deployment_id": "d1", "skip_pin": False, "with_data": False}),
    ([], {"deployment_id": "", "skip_pin": False, "with_data": False}),
    (["d1", "--skip-pin", "--with-data"], {"deployment_id": "d1", "skip_pin": True,
                                           "with_data": True}),
])
def test_rollback_sends_the_deployment_and_its_flags(api, run_cli, args, body):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/rollback", {"deployment": DEP})
    run = run_cli("apps", "rollback", "shop", *args, "--format", "ID", "--no-header")
    assert (run.code, run.out) == (0, "d2\n")
    assert api.sent("POST", "/v2/apps/a1b2/rollback") == [body]


def test_rollback_commit_of_a_pinned_app(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": {**APP, "pinned_deployment": {"id": "d1"}}})
    api.on("POST", "/v2/apps/a1b2/rollback/commit", {})
    run = run_cli("apps", "rollback-commit", "shop")
    assert (run.code, run.out) == (0, "Rollback committed: the app is no longer pinned\n")


def test_rollback_revert_prints_the_new_deployment(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/rollback/revert", {"deployment": {**DEP, "cause": "revert"}})
    run = run_cli("apps", "rollback-revert", "shop", "--format", "Cause", "--no-header")
    assert run.out == "revert\n"


# -- spec validate with a running server -----------------------------------------------------

def test_validate_prints_the_spec_the_server_would_store_and_its_plan(api, run_cli, spec_file):
    stored = {"name": "shop", "region": "ams",
              "services": [{"name": "web", "github": {"repo": "acme/shop"}}]}
    api.on("POST", "/v2/apps/propose", {"spec": stored, "notes": ["region is recorded"],
                                        "builds": [], "undeployable": []})
    run = run_cli("apps", "spec", "validate", str(spec_file), "-o", "json")
    assert (run.code, json.loads(run.out)) == (0, stored)
    assert run.err == "       note: region is recorded\n"
    assert api.sent("POST", "/v2/apps/propose")[0]["spec_yaml"] == SPEC


def test_validate_reports_what_the_server_will_not_deploy(api, run_cli, spec_file):
    api.on("POST", "/v2/apps/propose", {"spec": {"name": "shop"}, "builds": [
        {"path": "services[0]", "component": "web", "deployable": False}], "undeployable": []})
    run = run_cli("apps", "spec", "validate", str(spec_file))
    assert run.code == 0 and run.out == "name: shop\n"
    assert run.err.startswith(" !     the build of web will fail at its branch head as it is")


def test_an_api_error_during_validate_is_not_mistaken_for_a_stopped_server(api, run_cli,
                                                                          spec_file):
    from dockyard.cli.client import ApiError

    api.on("POST", "/v2/apps/propose", ApiError(401, {"id": "unauthorized",
                                                      "message": "invalid token"}))
    run = run_cli("apps", "spec", "validate", str(spec_file))
    assert (run.code, run.out, run.err) == (1, "", " !     invalid token\n")


# -- databases ------------------------------------------------------------------------------

def test_backup_says_its_name_and_size(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/dockyard/apps/a1b2/databases/db/backups",
           {"backup": {"name": "db-20260101.dump", "size": 2048}})
    run = run_cli("databases", "backup", "shop", "db")
    assert (run.code, run.out) == (0, "Backup db-20260101.dump (2048 bytes)\n")


@pytest.mark.parametrize(("args", "sent"), [([], ""), (["db-1.dump"], "db-1.dump")])
def test_restore_defaults_to_the_newest_backup(api, run_cli, args, sent):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/dockyard/apps/a1b2/databases/db/restore", {"restored": "db-1.dump"})
    run = run_cli("databases", "restore", "shop", "db", *args)
    assert run.out == "Restored db from db-1.dump\n"
    assert api.sent("POST", "/v2/dockyard/apps/a1b2/databases/db/restore") == [{"backup": sent}]


def test_backups_and_clusters_are_tables(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/dockyard/apps/a1b2/backups", {"backups": [
        {"database": "db", "name": "db-1.dump", "size": 10, "created_at": "t"}]})
    api.on("GET", "/v2/dockyard/clusters", {"clusters": [
        {"name": "main-pg", "url": "postgres://app:***@10.0.0.5:5432/app"}]})
    assert lines(run_cli("databases", "backups", "shop").out) == [
        ["Database", "Name", "Size", "Created At"], ["db", "db-1.dump", "10", "t"]]
    assert lines(run_cli("databases", "clusters", "list").out) == [
        ["Name", "Url"], ["main-pg", "postgres://app:***@10.0.0.5:5432/app"]]


def test_clusters_add_needs_a_url_and_remove_quotes_the_name(api, run_cli):
    missing = run_cli("databases", "clusters", "add", "main-pg")
    assert missing.code == 2 and "Missing option '--url'" in missing.err
    api.on("DELETE", "/v2/dockyard/clusters/main%20pg", {})
    assert run_cli("databases", "clusters", "remove", "main pg").out == "Cluster main pg removed\n"


def test_clusters_add_reads_the_url_from_stdin_when_asked(api, run_cli, monkeypatch):
    """``--url -`` keeps the password off the command line (``ps``, shell history)."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("postgres://app:pw@10.0.0.5:5432/app\n"))
    api.on("POST", "/v2/dockyard/clusters", {})
    assert run_cli("databases", "clusters", "add", "main-pg", "--url", "-").code == 0
    assert api.sent("POST", "/v2/dockyard/clusters") == [
        {"name": "main-pg", "url": "postgres://app:pw@10.0.0.5:5432/app"}]
