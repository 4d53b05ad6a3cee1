"""Each certificate's recorded state: lifetime and time left from its validity, saved and
loaded atomically, unreadable or older files read as empty, and DigitalOcean's
``app.domains[]`` shape built from it."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

from dockyard.ingress.shapes import app_domains_json, default_ingress_json, domain_json
from dockyard.ingress.state import (
    ACTIVE,
    CONFIGURING,
    ERROR,
    DomainState,
    load_states,
    now_iso,
    save_states,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def state(**changes: object) -> DomainState:
    fields: dict[str, object] = dict(key="shop.example", names=["shop.example"], kind="PRIMARY",
                                     app_id="a1")
    fields.update(changes)
    return DomainState(**fields)  # type: ignore[arg-type]


def test_lifetime_and_time_left_come_from_the_validity():
    s = state(valid_from="2026-11-01T00:00:00+00:00", expires_at="2026-12-01T00:00:00+00:00")
    assert s.lifetime() == 30 * 86400
    assert s.seconds_left(NOW) == 12 * 3600
    assert s.expires() == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_without_a_certificate_there_is_no_lifetime_and_no_time_left():
    s = state()
    assert s.lifetime() == 0.0 and s.seconds_left(NOW) == -1.0 and s.expires() is None


def test_states_are_saved_sorted_and_loaded_back(tmp_path: Path):
    states = {"b.example": state(key="b.example", phase=ACTIVE, failures=2, next_attempt=9.5),
              "a.example": state(key="a.example", phase=ERROR, reason="refused",
                                 spec={"domain": "a.example"})}
    save_states(tmp_path / "ingress", states)
    raw = json.loads((tmp_path / "ingress" / "state.json").read_text())
    assert list(raw["domains"]) == ["a.example", "b.example"]
    assert load_states(tmp_path / "ingress") == states
    assert [p.name for p in (tmp_path / "ingress").iterdir()] == ["state.json"]  # no temp left


def test_a_missing_or_broken_file_reads_as_no_states(tmp_path: Path):
    assert load_states(tmp_path / "never") == {}
    (tmp_path / "state.json").write_text("{broken")
    assert load_states(tmp_path) == {}


def test_fields_a_newer_version_wrote_are_ignored(tmp_path: Path):
    (tmp_path / "state.json").write_text(json.dumps({"domains": {"x.example": {
        "key": "x.example", "names": ["x.example"], "kind": "ALIAS", "phase": "ACTIVE",
        "from_the_future": 1}}}))
    assert load_states(tmp_path)["x.example"].phase == ACTIVE


def test_now_is_utc_to_the_second():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now_iso())


def test_a_domain_with_no_state_yet_is_pending():
    entry = {"domain": "Shop.Example", "type": "PRIMARY"}
    body = domain_json("a1", entry, None)
    assert body["phase"] == "PENDING" and body["spec"] is entry
    assert body["progress"] == {"steps": [{"name": "ensure-certificate", "status": "PENDING"}]}
    assert "certificate_expires_at" not in body
    assert body["id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "dockyard:a1/domain/shop.example"))
    assert body["id"] != domain_json("a2", entry, None)["id"]      # per app


def test_an_active_domain_shows_its_expiry_and_a_finished_step():
    s = state(phase=ACTIVE, expires_at="2027-02-28T00:00:00+00:00",
              started_at="2026-11-30T10:00:00Z", ended_at="2026-11-30T10:00:09Z")
    body = domain_json("a1", {"domain": "shop.example"}, s)
    assert body["certificate_expires_at"] == "2027-02-28T00:00:00+00:00"
    assert body["progress"]["steps"] == [{"name": "ensure-certificate", "status": "SUCCESS",
                                          "started_at": "2026-11-30T10:00:00Z",
                                          "ended_at": "2026-11-30T10:00:09Z"}]


def test_a_failed_domain_gives_the_cas_reason_and_code():
    s = state(phase=ERROR, reason="DNS problem: NXDOMAIN", reason_code="ingress.acme_failed")
    step = domain_json("a1", {"domain": "shop.example"}, s)["progress"]["steps"][0]
    assert step["status"] == "ERROR"
    assert step["reason"] == {"code": "ingress.acme_failed", "message": "DNS problem: NXDOMAIN"}
    running = domain_json("a1", {"domain": "x"}, state(phase=CONFIGURING))
    assert running["progress"]["steps"][0]["status"] == "RUNNING"


def test_the_apps_domains_skip_default_and_use_its_own_refused_state():
    spec = {"domains": [{"domain": "x.example", "type": "ALIAS"},
                        {"domain": "shop.ondigitalocean.app", "type": "DEFAULT"},
                        {"domain": "SHOP.example", "type": "PRIMARY"}]}
    held = state(key="x.example", app_id="other-app", phase=ACTIVE)
    mine = state(key="a1/x.example", phase=ERROR, reason="x.example is already served by "
                 "app other")
    states = {"x.example": held, "a1/x.example": mine,
              "shop.example": state(phase=ACTIVE)}
    out = app_domains_json("a1", spec, states)
    assert [d["spec"]["domain"] for d in out] == ["x.example", "SHOP.example"]
    assert [d["phase"] for d in out] == ["ERROR", "ACTIVE"]
    assert "already served" in out[0]["progress"]["steps"][0]["reason"]["message"]


def test_the_default_ingress_is_described_even_before_a_state_exists():
    assert default_ingress_json("shop.apps.example.com", None) == {
        "domain": "shop.apps.example.com", "phase": "PENDING", "reason": "",
        "certificate_expires_at": ""}
    s = state(phase=ACTIVE, expires_at="2027-01-01T00:00:00+00:00")
    assert default_ingress_json("h", s)["certificate_expires_at"] == "2027-01-01T00:00:00+00:00"
