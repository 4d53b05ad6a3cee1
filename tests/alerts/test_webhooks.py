"""deliver() to a real local webhook receiver: payload, retries, what is not retried."""

from __future__ import annotations

import time

from dockyard.alerts import AlertEvent, deliver

from .conftest import Receiver


def _post(event: AlertEvent, url: str, **kwargs: object) -> list:
    options = {"retries": 3, "backoff": 0.01, "timeout": 2, **kwargs}
    return deliver(event, emails=[], webhooks=[{"url": url, "channel": "#ops"}], smtp=None,
                   **options)


def test_webhook_receives_slack_compatible_json(receiver: Receiver, event: AlertEvent) -> None:
    [delivery] = _post(event, receiver.url + "/services/T1/B1/abcdSECRET")
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert delivery.detail.startswith("HTTP 200")
    [request] = receiver.requests
    assert request.path == "/services/T1/B1/abcdSECRET"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body["text"].startswith(":x: *profileapp*")
    assert request.body["channel"] == "#ops"
    assert request.body["rule"] == "DEPLOYMENT_FAILED"
    assert request.body["deployment_id"] == "1a2b3c"


def test_destination_never_shows_the_secret_path(receiver: Receiver, event: AlertEvent) -> None:
    [delivery] = _post(event, receiver.url + "/services/T1/B1/abcdSECRET?x=1")
    assert delivery.destination == f"webhook:{receiver.url}/…CRET"
    assert "abcd" not in delivery.destination and "x=1" not in delivery.destination


def test_500_is_retried_then_delivered(receiver: Receiver, event: AlertEvent) -> None:
    receiver.statuses = [500]
    [delivery] = _post(event, receiver.url + "/hook")
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2


def test_429_is_retried(receiver: Receiver, event: AlertEvent) -> None:
    receiver.statuses = [429, 429]
    [delivery] = _post(event, receiver.url + "/hook")
    assert (delivery.status, delivery.attempts) == ("delivered", 3)


def test_400_is_not_retried(receiver: Receiver, event: AlertEvent) -> None:
    receiver.statuses = [400, 200]
    [delivery] = _post(event, receiver.url + "/hook")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.detail == "HTTP 400 Bad Request: invalid_payload"
    assert len(receiver.requests) == 1


def test_5xx_every_time_fails_after_all_attempts(receiver: Receiver, event: AlertEvent) -> None:
    receiver.statuses = [503] * 5
    [delivery] = _post(event, receiver.url + "/hook", retries=4)
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert delivery.detail.startswith("HTTP 503")
    assert len(receiver.requests) == 4


def test_unreachable_port_fails_after_retries_with_backoff(dead_port: int,
                                                           event: AlertEvent) -> None:
    start = time.monotonic()
    [delivery] = _post(event, f"http://127.0.0.1:{dead_port}/hook", retries=3, backoff=0.05)
    elapsed = time.monotonic() - start
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "connection failed" in delivery.detail and "refused" in delivery.detail.lower()
    assert 0.15 <= elapsed < 2  # waited 0.05 then 0.1 between the three attempts


def test_invalid_url_fails_without_an_attempt(event: AlertEvent) -> None:
    results = deliver(event, emails=[], webhooks=[{"url": "ftp://example.test/x"}, {}],
                      smtp=None)
    assert [(d.status, d.attempts) for d in results] == [("failed", 0), ("failed", 0)]
    assert all("invalid webhook URL" in d.detail for d in results)


def test_one_failing_webhook_does_not_stop_the_next(receiver: Receiver, dead_port: int,
                                                    event: AlertEvent) -> None:
    results = deliver(event, emails=[], smtp=None, retries=2, backoff=0.01,
                      webhooks=[f"http://127.0.0.1:{dead_port}/a", receiver.url + "/b"])
    assert [d.status for d in results] == ["failed", "delivered"]
