"""AlertDispatcher: send never waits for a receiver; every destination is recorded once."""

from __future__ import annotations

import threading
import time

from dockyard.alerts import AlertDispatcher, AlertEvent, Delivery

from .conftest import Receiver, SMTPServer, smtp_settings


class Recorder:
    def __init__(self, fail_first: bool = False) -> None:
        self.calls: list[tuple[AlertEvent, Delivery]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def __call__(self, event: AlertEvent, delivery: Delivery) -> None:
        with self.lock:
            self.calls.append((event, delivery))
            if self.fail_first and len(self.calls) == 1:
                raise RuntimeError("store is down")


def test_send_returns_at_once_with_a_slow_receiver(receiver: Receiver, smtp_server: SMTPServer,
                                                   event: AlertEvent) -> None:
    receiver.delay = 1.0
    record = Recorder()
    with AlertDispatcher(record, smtp_settings(smtp_server.port), backoff=0.01) as dispatcher:
        start = time.monotonic()
        dispatcher.send(event, ["sammy@example.test"], [{"url": receiver.url + "/slow"}])
        assert time.monotonic() - start < 0.2
        assert record.calls == []
        assert dispatcher.drain(timeout=10)
    assert time.monotonic() - start >= 1.0
    destinations = sorted(d.destination for _, d in record.calls)
    assert destinations == ["email:sammy@example.test", f"webhook:{receiver.url}/…slow"]
    assert all(d.status == "delivered" and e is event for e, d in record.calls)


def test_drain_reports_false_when_delivery_outlasts_the_timeout(receiver: Receiver,
                                                                event: AlertEvent) -> None:
    receiver.delay = 0.5
    record = Recorder()
    dispatcher = AlertDispatcher(record)
    dispatcher.send(event, [], [receiver.url + "/a"])
    assert dispatcher.drain(timeout=0.05) is False
    assert dispatcher.drain(timeout=5) is True
    dispatcher.close()
    assert len(record.calls) == 1


def test_a_failing_record_callback_does_not_stop_later_alerts(receiver: Receiver,
                                                              event: AlertEvent) -> None:
    record = Recorder(fail_first=True)
    with AlertDispatcher(record) as dispatcher:
        dispatcher.send(event, [], [receiver.url + "/a"])
        dispatcher.send(event, [], [receiver.url + "/b"])
        assert dispatcher.drain(timeout=5)
    assert [d.status for _, d in record.calls] == ["delivered", "delivered"]
    assert len(receiver.requests) == 2


def test_events_are_delivered_in_the_order_sent(receiver: Receiver) -> None:
    record = Recorder()
    rules = ["DEPLOYMENT_STARTED", "DEPLOYMENT_LIVE", "DEPLOYMENT_CANCELED"]
    with AlertDispatcher(record) as dispatcher:
        for rule in rules:
            dispatcher.send(AlertEvent(rule, "profileapp", "id"), [], [receiver.url])
        assert dispatcher.drain(timeout=5)
    assert [r.body["rule"] for r in receiver.requests] == rules


def test_full_queue_and_closed_dispatcher_record_failures(receiver: Receiver,
                                                          event: AlertEvent) -> None:
    receiver.delay = 0.3
    record = Recorder()
    dispatcher = AlertDispatcher(record, max_queue=1)
    dispatcher.send(event, [], [receiver.url + "/first"])
    dispatcher.send(event, ["x@example.test"], [receiver.url + "/second"])
    dispatcher.close()
    dispatcher.send(event, [], [receiver.url + "/third"])
    outcomes = {d.destination.rsplit("/", 1)[-1]: (d.status, d.detail) for _, d in record.calls}
    assert outcomes["…cond"] == outcomes["email:x@example.test"] == ("failed", "alert queue full")
    assert outcomes["…hird"] == ("failed", "dispatcher closed")
    assert outcomes["…irst"] == ("delivered", "HTTP 200 OK: ok")
    assert [r.path for r in receiver.requests] == ["/first"]
