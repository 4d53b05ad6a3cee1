"""The texts an alert carries, URL redaction and reading rules from a spec (no servers)."""

from __future__ import annotations

import pytest

from dockyard.alerts import AlertEvent, redact_url, rules_for, webhook_payload
from dockyard.alerts.events import subject
from dockyard.errors import DockyardError

SLACK = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXsecretTOKEN"


def test_webhook_payload_is_slack_text_plus_event_fields(event: AlertEvent) -> None:
    payload = webhook_payload(event)
    assert set(payload) >= {"text", "rule", "app", "app_id", "deployment_id", "component",
                            "phase", "live_url", "at"}
    assert payload["rule"] == "DEPLOYMENT_FAILED" and payload["app"] == "profileapp"
    assert payload["deployment_id"] == "1a2b3c" and payload["component"] is None
    assert "*profileapp*" in payload["text"]
    assert "build.dependencies_failed" in payload["text"]
    assert "https://profileapp.example.test" in payload["text"]


def test_slack_text_escapes_markup_characters() -> None:
    event = AlertEvent("DEPLOYMENT_FAILED", "app", "id", message="a <b> & c")
    assert "a &lt;b&gt; &amp; c" in webhook_payload(event)["text"]


def test_subject_names_rule_app_and_a_short_one_line_message() -> None:
    event = AlertEvent("DEPLOYMENT_LIVE", "profileapp", "id", message="x" * 200 + "\nsecond")
    text = subject(event)
    assert text.startswith("[Dockyard] DEPLOYMENT_LIVE profileapp: xxx")
    assert text.endswith("…") and "\n" not in text and len(text) < 130


def test_subject_without_message_says_what_the_rule_means() -> None:
    assert subject(AlertEvent("DEPLOYMENT_STARTED", "p", "id")) == \
        "[Dockyard] DEPLOYMENT_STARTED p: deployment started"
    restart = AlertEvent("RESTART_COUNT", "p", "id", component="web")
    assert subject(restart).endswith("p: web: component restarted")


def test_unknown_rule_is_refused_with_a_stable_code() -> None:
    with pytest.raises(DockyardError) as info:
        AlertEvent("DEPLOYMENT_EXPLODED", "p", "id")
    assert info.value.code == "alerts.unknown_rule"
    assert "DEPLOYMENT_EXPLODED" in str(info.value)


@pytest.mark.parametrize(("url", "shown"), [
    (SLACK, "https://hooks.slack.com/…OKEN"),
    (SLACK + "?token=abc", "https://hooks.slack.com/…OKEN"),
    ("http://user:pw@127.0.0.1:8080/hook/", "http://127.0.0.1:8080/…hook"),
    ("https://example.test", "https://example.test"),
])
def test_redact_url_keeps_host_and_last_four_characters_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert "secret" not in redact_url(url) and "pw" not in redact_url(url)


def test_rules_for_skips_disabled_and_keys_component_rules() -> None:
    rules = rules_for(
        [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DEPLOYMENT_LIVE", "disabled": True},
         {"rule": "UNSPECIFIED_RULE"}],
        {"web": [{"rule": "RESTART_COUNT", "operator": "GREATER_THAN", "value": 3}],
         "worker": []})
    assert set(rules) == {(None, "DEPLOYMENT_FAILED"), ("web", "RESTART_COUNT")}
    assert rules[("web", "RESTART_COUNT")]["value"] == 3
