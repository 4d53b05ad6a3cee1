"""``app.domains[]`` in DigitalOcean's shape (reference do-apps-api §4.1), from the states
the ingress program records."""

from __future__ import annotations

import uuid
from typing import Any

from dockyard.ingress.state import ACTIVE, CONFIGURING, ERROR, DomainState

STEP_STATUS = {ACTIVE: "SUCCESS", CONFIGURING: "RUNNING", ERROR: "ERROR"}


def domain_json(app_id: str, entry: dict[str, Any], state: DomainState | None) -> dict[str, Any]:
    """One domain of the app's spec: its phase, certificate expiry and progress."""
    name = str(entry.get("domain", "")).lower()
    phase = state.phase if state else "PENDING"
    step: dict[str, Any] = {"name": "ensure-certificate",
                            "status": STEP_STATUS.get(phase, "PENDING")}
    if state and state.started_at:
        step["started_at"] = state.started_at
    if state and state.ended_at:
        step["ended_at"] = state.ended_at
    if state and state.reason:
        step["reason"] = {"code": state.reason_code, "message": state.reason}
    body: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"dockyard:{app_id}/domain/{name}")),
        "phase": phase, "spec": entry, "rotate_validation_records": False,
        "progress": {"steps": [step]}, "validations": []}
    if state and state.expires_at:
        body["certificate_expires_at"] = state.expires_at
    return body


def app_domains_json(app_id: str, spec: dict[str, Any], states: dict[str, DomainState]
                     ) -> list[dict[str, Any]]:
    """Every domain of the spec except DigitalOcean's DEFAULT one."""
    out = []
    for entry in spec.get("domains") or []:
        if str(entry.get("type")) == "DEFAULT":
            continue
        name = str(entry.get("domain", "")).lower()
        state = states.get(name)
        if state is not None and state.app_id != app_id:  # another app holds the name
            state = states.get(f"{app_id}/{name}")
        out.append(domain_json(app_id, entry, state))
    return out


def default_ingress_json(host: str, state: DomainState | None) -> dict[str, Any]:
    """The default ingress's certificate (a Dockyard extension: DigitalOcean's is always on)."""
    return {"domain": host, "phase": state.phase if state else "PENDING",
            "reason": state.reason if state else "",
            "certificate_expires_at": state.expires_at if state else ""}
