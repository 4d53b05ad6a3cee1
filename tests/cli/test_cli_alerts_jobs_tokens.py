"""Alerts, job invocations, tokens and catalogues, in-process against ``FakeApi``: doctl's
columns and the values as doctl prints them, what is sent, and refusals with exit 1."""

from __future__ import annotations

import json

import pytest

from dockyard.cli.alerts import trigger
from dockyard.cli.catalog import human_bytes, tier_path
from tests.cli.test_cli_inprocess import APP, lines

ALERT = {"id": "al1", "component_name": "web", "emails": ["ops@example.com", "me@example.com"],
         "slack_webhooks": [{"url": "https://hooks.slack.com/x", "channel": "ops"}],
         "spec": {"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": 80,
                  "window": "FIVE_MINUTES", "disabled": False}}


# -- alerts ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "shown"), [
    ({"rule": "CPU_UTILIZATION", "operator": "GREATER_THAN", "value": 80,
      "window": "FIVE_MINUTES"}, "> 80.00 for 5m"),
    ({"rule": "MEM_UTILIZATION", "operator": "LESS_THAN", "value": 12.5,
      "window": "THIRTY_MINUTES"}, "< 12.50 for 30M"),  # doctl's displayer prints 30M
    ({"rule": "RESTART_COUNT", "value": 3, "window": "ONE_HOUR"}, "Unknown 3.00 for 1h"),
    ({"rule": "DEPLOYMENT_FAILED"}, "Event"), ({"rule": "DOMAIN_LIVE"}, "Event"),
    ({"rule": "FUNCTIONS_ERROR_COUNT"}, "Unknown"),
])
def test_the_trigger_column_reads_as_doctls(spec, shown):
    assert trigger(spec) == shown


def test_list_alerts_counts_destinations_and_shows_doctls_headers(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/alerts", {"alerts": [ALERT]})
    run = run_cli("apps", "list-alerts", "shop")
    assert lines(run.out) == [
        ["ID", "Alert Rule", "Alert Trigger", "Component Name", "Number Of Emails",
         "Number Of Slack Webhooks", "Alert Disabled?"],
        ["al1", "CPU_UTILIZATION", "> 80.00 for 5m", "web", "2", "1", "false"]]


def test_list_alerts_json_is_the_api_answer_with_deliveries(api, run_cli):
    body = {"alerts": [ALERT], "deliveries": [{"at": "t", "rule": "CPU_UTILIZATION"}]}
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/alerts", body)
    assert json.loads(run_cli("apps", "la", "shop", "-o", "json").out) == body


def test_update_alert_destinations_sends_the_files_destinations(api, run_cli, tmp_path):
    path = tmp_path / "dest.yaml"
    path.write_text("emails:\n- ops@example.com\nslack_webhooks:\n- url: https://hooks.slack.com/x"
                    "\n  channel: ops\n")
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/alerts/al1/destinations", {"alert": ALERT})
    run = run_cli("apps", "uad", "shop", "al1", "--app-alert-destinations", str(path))
    assert run.code == 0
    assert api.sent("POST", "/v2/apps/a1b2/alerts/al1/destinations") == [
        {"emails": ["ops@example.com"],
         "slack_webhooks": [{"url": "https://hooks.slack.com/x", "channel": "ops"}]}]


def test_a_destinations_file_with_other_keys_is_refused_naming_them(api, run_cli, tmp_path):
    path = tmp_path / "dest.yaml"
    path.write_text("emails: []\nwebhooks: []\npagerduty: {}\n")
    api.on("GET", "/v2/apps/shop", {"app": APP})
    run = run_cli("apps", "update-alert-destinations", "shop", "al1",
                  "--app-alert-destinations", str(path))
    assert (run.code, run.err) == (
        1, f" !     {path}: expected emails and slack_webhooks only (unknown: pagerduty, "
           "webhooks)\n")
    assert api.sent("POST", "/v2/apps/a1b2/alerts/al1/destinations") == []


# -- job invocations ------------------------------------------------------------------------

INVOCATION = {"id": "inv1", "job_name": "nightly", "created_at": "c", "started_at": "s",
              "completed_at": "", "phase": "RUNNING"}


def test_list_job_invocations_filters_by_deployment_and_job(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/job-invocations", {"job_invocations": [INVOCATION]})
    run = run_cli("apps", "list-job-invocations", "shop", "--deployment", "d1",
                  "--job-name", "nightly")
    assert lines(run.out) == [
        ["ID", "Job Name", "Created At", "Started At", "Completed At", "Phase"],
        ["inv1", "nightly", "c", "s", "", "RUNNING"]]
    assert api.sent("GET", "/v2/apps/a1b2/job-invocations") == [
        {"deployment_id": "d1", "job_names": "nightly", "page": 1, "per_page": 200}]


def test_cancel_job_invocation_names_the_job(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("POST", "/v2/apps/a1b2/job-invocations/inv1/cancel?job_name=nightly",
           {**INVOCATION, "phase": "CANCELED"})
    run = run_cli("apps", "cancel-job-invocation", "shop", "inv1", "--job-name", "nightly",
                  "--format", "Phase", "--no-header")
    assert (run.code, run.out) == (0, "CANCELED\n")


# -- tokens ---------------------------------------------------------------------------------

def test_tokens_create_prints_only_the_token(api, run_cli):
    api.on("POST", "/v2/dockyard/tokens", {"token": {"name": "ci", "token": "dky_secret",
                                                      "read_only": True}})
    run = run_cli("tokens", "create", "ci", "--read-only")
    assert (run.code, run.out) == (0, "dky_secret\n")
    assert api.sent("POST", "/v2/dockyard/tokens") == [{"name": "ci", "read_only": True}]


def test_tokens_list_never_prints_a_token_value(api, run_cli):
    api.on("GET", "/v2/dockyard/tokens", {"tokens": [
        {"name": "ci", "read_only": True, "created_at": "t", "token": "dky_secret"}]})
    run = run_cli("tokens", "list")
    assert lines(run.out) == [["Name", "Read Only", "Created At"], ["ci", "true", "t"]]
    assert "dky_secret" not in run.out


def test_tokens_revoke_quotes_the_name(api, run_cli):
    api.on("DELETE", "/v2/dockyard/tokens/ci%2Fbot", {})
    assert run_cli("tokens", "revoke", "ci/bot").out == "Token ci/bot revoked\n"


# -- catalogues -----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "shown"), [
    (0, "0 B"), (512, "512 B"), (1024, "1.00 KiB"), ("536870912", "512.00 MiB"),
    (1024 ** 3, "1.00 GiB"), (3 * 1024 ** 4, "3.00 TiB"), (2 * 1024 ** 5, "2048.00 TiB"),
])
def test_bytes_are_shown_in_binary_units_as_doctl_does(raw, shown):
    assert human_bytes(raw) == shown


@pytest.mark.parametrize(("size", "path"), [
    ({"slug": "professional-xs", "tier_downgrade_to": "basic-xs"}, "basic-xs <- professional-xs"),
    ({"slug": "basic-xxs", "tier_upgrade_to": "professional-xs"}, "basic-xxs -> professional-xs"),
    ({"slug": "apps-d-1vcpu-1gb"}, "apps-d-1vcpu-1gb"),
])
def test_the_tier_path_reads_down_slug_up(size, path):
    assert tier_path(size) == path


def test_regions_use_doctls_headers(api, run_cli):
    api.on("GET", "/v2/apps/regions", {"regions": [
        {"slug": "ams", "label": "Amsterdam", "continent": "Europe",
         "data_centers": ["ams3"], "disabled": False, "reason": "", "default": True}]})
    run = run_cli("apps", "list-regions")
    assert lines(run.out) == [
        ["Region", "Label", "Continent", "Data Centers", "Is Disabled?", "Reason (if disabled)",
         "Is Default?"], ["ams", "Amsterdam", "Europe", "[ams3]", "false", "", "true"]]


def test_instance_size_get_quotes_the_slug_and_json_is_the_api_object(api, run_cli):
    size = {"name": "Shared 1VCPU 0.5GB", "slug": "apps-s-1vcpu-0.5gb", "cpus": "1",
            "cpu_type": "SHARED", "memory_bytes": "536870912", "usd_per_month": "5.00",
            "usd_per_second": "0.0000019", "tier_slug": "basic"}
    api.on("GET", "/v2/apps/tiers/instance_sizes/apps-s-1vcpu-0.5gb", {"instance_size": size})
    run = run_cli("apps", "tier", "instance-size", "get", "apps-s-1vcpu-0.5gb", "-o", "json")
    assert json.loads(run.out) == [size]


def test_list_instances_shows_each_instance_and_its_component(api, run_cli):
    api.on("GET", "/v2/apps/shop", {"app": APP})
    api.on("GET", "/v2/apps/a1b2/instances", {"instances": [
        {"instance_name": "web-0", "component_name": "web", "component_type": "SERVICE",
         "instance_alias": "web-0"}]})
    run = run_cli("apps", "i", "shop", "--format", "Name,ComponentType", "--no-header")
    assert lines(run.out, header=False) == [["web-0", "SERVICE"]]
