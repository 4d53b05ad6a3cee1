"""Alert rules of the spec, their destinations (webhook URLs stored encrypted), and which
events reach them."""

from __future__ import annotations

import pytest

from dockyard.deploy.notify import alert_id, list_alerts, notify, set_destinations, spec_rules
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError, NotFound
from dockyard.store import App
from tests.alerts.conftest import Receiver
from tests.deploy.conftest import Deployer, tiny_spec, webhook_to

HOOK = "https://hooks.slack.example/services/T000/B000/secret-token"


@pytest.fixture
def app(deployer: Deployer) -> App:
    spec = tiny_spec(deployer.repo, alerts=[{"rule": "RESTART_COUNT", "operator":
                                             "GREATER_THAN", "value": 2, "window":
                                             "TEN_MINUTES"}])
    spec["alerts"] = [{"rule": "DEPLOYMENT_FAILED"}, {"rule": "DEPLOYMENT_LIVE",
                                                      "disabled": True}]
    return deployer.create(spec)


def test_spec_rules_keys_app_and_component_rules_and_skips_disabled_ones(app: App):
    rules = spec_rules(app.spec)
    assert set(rules) == {(None, "DEPLOYMENT_FAILED"), ("web", "RESTART_COUNT")}
    assert rules[("web", "RESTART_COUNT")]["window"] == "TEN_MINUTES"


def test_alert_ids_are_stable_per_app_component_and_rule():
    assert alert_id("a", None, "DEPLOYMENT_FAILED") == alert_id("a", None, "DEPLOYMENT_FAILED")
    ids = {alert_id("a", None, "DEPLOYMENT_FAILED"), alert_id("b", None, "DEPLOYMENT_FAILED"),
           alert_id("a", "web", "DEPLOYMENT_FAILED"), alert_id("a", None, "DEPLOYMENT_LIVE")}
    assert len(ids) == 4


def test_list_alerts_has_digitaloceans_shape(services: Services, app: App):
    alerts = {a["spec"]["rule"]: a for a in list_alerts(services, app)}
    failed = alerts["DEPLOYMENT_FAILED"]
    assert failed == {"id": alert_id(app.id, None, "DEPLOYMENT_FAILED"), "component_name": "",
                      "spec": {"rule": "DEPLOYMENT_FAILED", "disabled": False},
                      "emails": [], "slack_webhooks": [], "phase": "ACTIVE",
                      "progress": {"steps": []}}
    assert alerts["RESTART_COUNT"]["component_name"] == "web"


def test_webhook_urls_are_stored_encrypted_and_shown_in_plaintext(services: Services,
                                                                  app: App):
    aid = alert_id(app.id, None, "DEPLOYMENT_FAILED")
    shown = set_destinations(services, app, aid, {"emails": ["ops@example.com"],
                                                  "slack_webhooks": [{"url": HOOK,
                                                                      "channel": "#ops"}]})
    assert shown["emails"] == ["ops@example.com"]
    assert shown["slack_webhooks"] == [{"url": HOOK, "channel": "#ops"}]
    _emails, stored = services.store.alert_destinations(app.id, aid)
    assert "secret-token" not in str(stored) and stored[0]["url"].startswith("EV[1:dky-")


def test_destinations_of_an_unknown_alert_are_not_found(services: Services, app: App):
    with pytest.raises(NotFound) as err:
        set_destinations(services, app, "not-an-alert", {"emails": ["x@example.com"]})
    assert "list-alerts" in (err.value.hint or "")


@pytest.mark.parametrize("hooks", [["https://x"], [{"url": "ftp://x"}], [{"channel": "#a"}]])
def test_a_webhook_that_is_not_an_http_url_is_refused(services: Services, app: App,
                                                      hooks: list):  # type: ignore[type-arg]
    aid = alert_id(app.id, None, "DEPLOYMENT_FAILED")
    with pytest.raises(DockyardError) as err:
        set_destinations(services, app, aid, {"slack_webhooks": hooks})
    assert err.value.code == "bad_request"
    assert services.store.alert_destinations(app.id, aid) == ([], [])


def test_an_event_reaches_the_destinations_of_its_rule_only(deployer: Deployer,
                                                            services: Services, app: App,
                                                            receiver: Receiver):
    webhook_to(services, app, "DEPLOYMENT_FAILED", receiver.url + "/failed")
    dep = deployer.queue(app)
    notify(services, app, dep, "DEPLOYMENT_FAILED", "build failed: exit 7")
    notify(services, app, dep, "DEPLOYMENT_LIVE", "live")  # disabled in the spec
    notify(services, app, dep, "DEPLOYMENT_STARTED", "started")  # not in the spec
    assert services.alerts.drain(10)
    [request] = receiver.requests
    assert request.path == "/failed" and "build failed: exit 7" in str(request.body)
    assert [d["rule"] for d in services.store.deliveries(app.id)] == ["DEPLOYMENT_FAILED"]


def test_a_rule_without_destinations_sends_nothing(deployer: Deployer, services: Services,
                                                   app: App):
    notify(services, app, deployer.queue(app), "DEPLOYMENT_FAILED", "nobody listens")
    assert services.store.deliveries(app.id) == []
    assert "alerts" not in services.__dict__  # no dispatcher thread was even started
