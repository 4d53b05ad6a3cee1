"""deliver() to a real local SMTP server (aiosmtpd): one message per address, failures."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from dockyard.alerts import AlertEvent, deliver

from .conftest import SMTPServer, smtp_settings

ADDRESSES = ["sammy@example.test", "ops@example.test"]


def _mail(event: AlertEvent, port: int, emails: list[str], **kwargs: object) -> list:
    options = {"retries": 3, "backoff": 0.01, **kwargs}
    return deliver(event, emails=emails, webhooks=[], smtp=smtp_settings(port), **options)


def test_one_message_per_address_with_rule_in_subject(smtp_server: SMTPServer,
                                                      event: AlertEvent) -> None:
    results = _mail(event, smtp_server.port, ADDRESSES)
    assert [(d.destination, d.status, d.attempts) for d in results] == [
        ("email:sammy@example.test", "delivered", 1), ("email:ops@example.test", "delivered", 1)]
    assert results[0].detail == "250 Message accepted for delivery"
    messages = smtp_server.mailbox.messages
    assert [m.rcpt_tos for m in messages] == [[a] for a in ADDRESSES]
    parsed = message_from_bytes(messages[0].original_content, policy=default)
    assert parsed["Subject"] == ("[Dockyard] DEPLOYMENT_FAILED profileapp: Deployment 1a2b3c "
                                 "of profileapp failed: build.dependencies_failed: uv sync exit…")
    assert parsed["To"] == "sammy@example.test"
    assert parsed["From"] == "dockyard@example.test"
    assert parsed["X-Dockyard-Rule"] == "DEPLOYMENT_FAILED"
    body = parsed.get_content()
    assert "Deployment: 1a2b3c" in body and "Live URL:   https://profileapp.example.test" in body


def test_non_ascii_message_arrives_intact(smtp_server: SMTPServer) -> None:
    event = AlertEvent("DEPLOYMENT_LIVE", "profileapp", "id", message="Déploiement 1a2b… live")
    [delivery] = _mail(event, smtp_server.port, ADDRESSES[:1])
    assert delivery.status == "delivered"
    parsed = message_from_bytes(smtp_server.mailbox.messages[0].original_content,
                                policy=default)
    assert "Déploiement 1a2b… live" in str(parsed["Subject"])
    assert parsed.get_content().startswith("Déploiement 1a2b… live")


def test_smtp_down_is_a_failed_delivery_not_an_exception(dead_port: int,
                                                         event: AlertEvent) -> None:
    results = _mail(event, dead_port, ADDRESSES, retries=2)
    assert [(d.status, d.attempts) for d in results] == [("failed", 2), ("failed", 2)]
    assert f"127.0.0.1:{dead_port}" in results[0].detail


def test_permanent_refusal_is_not_retried_and_others_still_get_mail(smtp_server: SMTPServer,
                                                                    event: AlertEvent) -> None:
    smtp_server.mailbox.refuse = ["550 5.1.1 No such user"]
    results = _mail(event, smtp_server.port, ADDRESSES)
    assert [(d.status, d.attempts) for d in results] == [("failed", 1), ("delivered", 1)]
    assert results[0].detail == "550 5.1.1 No such user"
    assert [m.rcpt_tos for m in smtp_server.mailbox.messages] == [["ops@example.test"]]


def test_temporary_refusal_is_retried(smtp_server: SMTPServer, event: AlertEvent) -> None:
    smtp_server.mailbox.refuse = ["451 4.3.0 Try again later"]
    [delivery] = _mail(event, smtp_server.port, ADDRESSES[:1])
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert smtp_server.mailbox.rcpt_calls == 2


def test_no_smtp_settings_or_bad_address_fail_without_an_attempt(event: AlertEvent) -> None:
    [unset] = deliver(event, emails=["a@example.test"], webhooks=[], smtp=None)
    assert (unset.status, unset.attempts) == ("failed", 0)
    assert "no SMTP server configured" in unset.detail
    [bad] = deliver(event, emails=["a@example.test\r\nBcc: x@evil.test"], webhooks=[],
                    smtp=smtp_settings(1))
    assert (bad.status, bad.attempts) == ("failed", 0)
    assert "invalid e-mail address" in bad.detail
