"""What an alert says in an e-mail body and a webhook, and which URLs can be posted to."""

from __future__ import annotations

import pytest

from dockyard.alerts import AlertEvent
from dockyard.alerts.events import details, mail_body, slack_text, summary
from dockyard.alerts.webhook import _judge, check_url


def event(**fields: str) -> AlertEvent:
    base = {"rule": "RESTART_COUNT", "app_name": "shop", "app_id": "a1", "at": "t"}
    return AlertEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_without_a_message_the_summary_says_what_the_rule_means():
    assert summary(event()) == "component restarted"
    assert summary(event(component="web")) == "web: component restarted"
    assert summary(event(message="web-0 restarted\n 4 times")) == "web-0 restarted 4 times"


def test_the_mail_body_lists_only_the_facts_that_are_set():
    body = mail_body(event(message="web-0 restarted 4 times", component="web",
                           live_url="http://127.0.0.1:8123"))
    lines = body.splitlines()
    assert lines[0] == "web-0 restarted 4 times" and lines[1] == ""
    assert "Component:  web" in lines and "Live URL:   http://127.0.0.1:8123" in lines
    assert not any(line.startswith(("Deployment:", "Phase:")) for line in lines)
    assert [label for label, _v in details(event())] == ["Rule", "App", "At"]


def test_slack_text_links_the_live_url():
    text = slack_text(event(rule="DEPLOYMENT_LIVE", message="is live",
                            live_url="http://127.0.0.1:8123"))
    assert text == (":white_check_mark: *shop* `DEPLOYMENT_LIVE`: is live\n"
                    "<http://127.0.0.1:8123|http://127.0.0.1:8123>")


@pytest.mark.parametrize(("url", "problem"), [
    ("https://hooks.slack.com/services/T/B/x", None), ("http://127.0.0.1:9/h", None),
    ("ftp://example.com/x", "invalid webhook URL: expected http(s)://host/path"),
    ("https:///nohost", "invalid webhook URL: expected http(s)://host/path"),
    ("http://example.com:99999/x", "invalid webhook URL: Port out of range 0-65535")])
def test_only_http_urls_with_a_host_and_a_port_in_range_are_posted_to(url: str,
                                                                       problem: str | None):
    assert check_url(url) == problem


@pytest.mark.parametrize(("status", "ok", "retryable"), [
    (200, True, False), (204, True, False), (400, False, False), (404, False, False),
    (429, False, True), (500, False, True), (503, False, True)])
def test_answers_are_judged_like_slack_documents_them(status: int, ok: bool, retryable: bool):
    attempt = _judge(status, "Reason", "  body\n text ", "2")
    assert (attempt.ok, attempt.retryable) == (ok, retryable)
    assert attempt.detail == f"HTTP {status} Reason: body text"


def test_retry_after_is_capped_and_an_http_date_is_ignored():
    assert _judge(429, "", "", "120").retry_after == 30.0
    assert _judge(429, "", "", "-5").retry_after == 0.0
    assert _judge(429, "", "", "Wed, 21 Oct 2015 07:28:00 GMT").retry_after is None
