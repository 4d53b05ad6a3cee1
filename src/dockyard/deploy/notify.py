"""Alerts: the spec's rules, their destinations, and every delivery, recorded.

App-level rules (``DEPLOYMENT_STARTED``/``LIVE``/``FAILED``/``CANCELED``) and component
``RESTART_COUNT`` fire to the destinations set with ``update-alert-destinations``: webhook
URLs (Slack-compatible JSON) and e-mail through the configured SMTP server. Webhook URLs
carry tokens, so they are stored encrypted. Deliveries run on a background thread.
"""

from __future__ import annotations

import uuid
from typing import Any

from dockyard.deploy.services import Services
from dockyard.store import App, Deployment


def alert_id(app_id: str, component: str | None, rule: str) -> str:
    """Stable ids, so destinations survive spec updates that keep the rule."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dockyard:{app_id}/{component or ''}/{rule}"))


def spec_rules(spec: dict[str, Any]) -> dict[tuple[str | None, str], dict[str, Any]]:
    from dockyard.alerts import rules_for

    components = {c["name"]: c.get("alerts", []) for group in ("services", "workers", "jobs")
                  for c in spec.get(group, [])}
    return rules_for(spec.get("alerts", []), components)


def list_alerts(services: Services, app: App) -> list[dict[str, Any]]:
    """DigitalOcean's Alert objects for the app's current spec."""
    out = []
    for (component, rule), alert in spec_rules(app.spec).items():
        aid = alert_id(app.id, component, rule)
        emails, webhooks = services.store.alert_destinations(app.id, aid)
        spec: dict[str, Any] = {"rule": rule, "disabled": False, **alert}
        out.append({"id": aid, "component_name": component or "",
                    "spec": spec,
                    "emails": emails,
                    "slack_webhooks": [decrypt_hook(services, w) for w in webhooks],
                    "phase": "ACTIVE", "progress": {"steps": []}})
    return out


def decrypt_hook(services: Services, hook: dict[str, str]) -> dict[str, str]:
    return {**hook, "url": services.secret_box.decrypt(hook["url"])}


def set_destinations(services: Services, app: App, aid: str, body: dict[str, Any]
                     ) -> dict[str, Any]:
    from dockyard.errors import DockyardError, NotFound

    alerts = {a["id"]: a for a in list_alerts(services, app)}
    if aid not in alerts:
        raise NotFound(f"alert {aid} not found in app {app.name}",
                       hint="`dockyard apps list-alerts APP` shows the alert ids.")
    emails = [str(e) for e in body.get("emails") or []]
    hooks = body.get("slack_webhooks") or []
    if not all(isinstance(h, dict) and str(h.get("url", "")).startswith(("http://", "https://"))
               for h in hooks):
        raise DockyardError('slack_webhooks: expected a list of {"url": "https://…", '
                            '"channel": "…"}', code="bad_request")
    stored = [{"url": services.secret_box.encrypt(str(h["url"])),
               "channel": str(h.get("channel", ""))} for h in hooks]
    alert = alerts[aid]
    services.store.set_alert_destinations(app.id, aid, alert["spec"]["rule"],
                                          alert["component_name"], emails, stored)
    return next(a for a in list_alerts(services, app) if a["id"] == aid)


def notify(services: Services, app: App, dep: Deployment | None, rule: str, message: str,
           component: str | None = None) -> None:
    """Send ``rule`` if the deployment's spec asks for it and it has destinations."""
    from dockyard.alerts import AlertEvent
    from dockyard.appspec.traffic import primary_domain_of

    spec = services.store.spec_version(app.id, dep.spec_version) if dep else app.spec
    if (component, rule) not in spec_rules(spec):
        return
    aid = alert_id(app.id, component, rule)
    emails, webhooks = services.store.alert_destinations(app.id, aid)
    if not emails and not webhooks:
        return
    event = AlertEvent(rule=rule, app_name=app.name, app_id=app.id,
                       deployment_id=dep.id if dep else None, component=component,
                       phase=dep.phase if dep else None, message=message,
                       live_url=services.settings.live_url(app.port, app.name,
                                                           primary_domain_of(app.spec)))
    services.alerts.send(event, emails, [decrypt_hook(services, w) for w in webhooks])
