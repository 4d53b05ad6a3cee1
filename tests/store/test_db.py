"""The SQLite store: apps and their spec versions, deployments and their phase history,
tokens (hashed), alert destinations and deliveries, schema migrations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from dockyard.errors import Conflict, NotFound
from dockyard.store import App, Store
from dockyard.store.db import hash_token
from dockyard.store.migrations import MIGRATIONS
from tests.store.conftest import SPEC


def test_a_new_store_is_migrated_to_the_last_version_in_wal_mode(store: Store):
    assert store.schema_version() == len(MIGRATIONS)
    assert store._query("PRAGMA journal_mode")[0][0] == "wal"


def test_an_app_keeps_every_spec_version(store: Store, app: App):
    assert (app.spec_version, app.port, app.notes, app.spec) == (1, 8123, ["note"], SPEC)
    renamed = store.update_spec(app.id, {**SPEC, "name": "shop2"}, "name: shop2\n", [])
    assert (renamed.spec_version, renamed.name, renamed.spec_yaml) == (2, "shop2",
                                                                       "name: shop2\n")
    assert store.spec_version(app.id, 1) == SPEC
    assert store.get_app("shop2").id == app.id and store.find_app("shop") is None
    with pytest.raises(NotFound):
        store.spec_version(app.id, 3)


def test_names_are_unique_and_a_clash_changes_nothing(store: Store, app: App):
    other = store.create_app("other", {"name": "other"}, "name: other\n", [])
    with pytest.raises(Conflict, match="an app named 'shop' already exists"):
        store.create_app("shop", SPEC, "", [])
    with pytest.raises(Conflict):
        store.update_spec(other.id, {"name": "shop"}, "name: shop\n", [])
    assert store.get_app(other.id).spec_version == 1
    assert sorted(a.name for a in store.list_apps()) == ["other", "shop"]


def test_apps_are_found_by_id_or_name_and_a_miss_says_how_to_list_them(store: Store,
                                                                        app: App):
    assert store.find_app(app.id) == store.find_app("shop")
    with pytest.raises(NotFound) as err:
        store.get_app("nope")
    assert err.value.message == "app 'nope' not found"
    assert "dockyard apps list" in (err.value.hint or "")


def test_deleting_an_app_deletes_its_specs_deployments_and_deliveries(store: Store, app: App):
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="x")
    store.add_delivery(app.id, "DEPLOYMENT_FAILED", "hook", "delivered", 1, "")
    store.delete_app(app.id)
    assert store.list_apps() == [] and store.deliveries(app.id) == []
    rows = store._query("SELECT COUNT(*) FROM deployments WHERE id=?", (dep.id,))
    assert rows[0][0] == 0
    assert store._query("SELECT COUNT(*) FROM specs")[0][0] == 0


def test_used_ports_are_the_apps_ports(store: Store, app: App):
    store.create_app("noport", {"name": "noport"}, "", [])
    assert store.used_ports() == {8123}


def test_deployments_list_newest_first_and_filter_by_phase(store: Store, app: App):
    first = store.create_deployment(app, phase="ACTIVE", cause="one")
    second = store.create_deployment(app, phase="ERROR", cause="two")
    third = store.create_deployment(app, phase="PENDING_BUILD", cause="three",
                                    cloned_from=first.id, force_build=True,
                                    options={"restore": {"db": "b.dump"}})
    assert [d.id for d in store.list_deployments(app.id)] == [third.id, second.id, first.id]
    assert [d.id for d in store.list_deployments(app.id, phases=("ACTIVE", "ERROR"))] == [
        second.id, first.id]
    got = store.get_deployment(app.id, third.id)
    assert (got.cloned_from, got.force_build, got.options) == (first.id, True,
                                                               {"restore": {"db": "b.dump"}})
    assert got.spec_version == 1 and got.progress == {} and got.components == []


def test_a_deployment_belongs_to_its_app(store: Store, app: App):
    other = store.create_app("other", {"name": "other"}, "", [])
    dep = store.create_deployment(app, phase="ACTIVE", cause="x")
    with pytest.raises(NotFound, match=f"deployment '{dep.id}' of app '{other.id}'"):
        store.get_deployment(other.id, dep.id)


def test_phase_changes_are_recorded_in_order(store: Store, app: App):
    dep = store.create_deployment(app, phase="PENDING_BUILD", cause="x")
    for phase in ("BUILDING", "ERROR"):
        dep = store.set_phase(dep, phase)
    assert [(h["was"], h["phase"]) for h in store.phase_history(dep.id)] == [
        ("PENDING_BUILD", "BUILDING"), ("BUILDING", "ERROR")]
    assert dep.phase == "ERROR" and dep.phase_last_updated_at


def test_progress_components_and_errors_are_written_as_json(store: Store, app: App):
    dep = store.create_deployment(app, phase="BUILDING", cause="x")
    dep = store.update_deployment(dep, progress={"steps": [{"name": "build"}]},
                                  components=[{"name": "web", "kind": "service"}],
                                  error_code="e.code", error_message="went wrong")
    again = store.get_deployment(app.id, dep.id)
    assert again.progress == {"steps": [{"name": "build"}]}
    assert again.components == [{"name": "web", "kind": "service"}]
    assert (again.error_code, again.error_message) == ("e.code", "went wrong")


def test_the_pin_is_set_and_cleared(store: Store, app: App):
    store.set_pin(app.id, "dep-1")
    assert store.get_app(app.id).pinned_deployment_id == "dep-1"
    store.set_pin(app.id, None)
    assert store.get_app(app.id).pinned_deployment_id is None


def test_tokens_are_stored_hashed_and_shown_once(store: Store):
    value = store.create_token("ci", read_only=True)
    assert value.startswith("dky_") and len(value) > 40
    raw = store._query("SELECT token_hash FROM tokens WHERE name='ci'")[0][0]
    assert raw == hash_token(value) and value not in raw
    token = store.check_token(value)
    assert token is not None and (token.name, token.read_only) == ("ci", True)
    assert store.check_token(value + "x") is None
    with pytest.raises(Conflict):
        store.create_token("ci")


def test_the_admin_token_is_registered_and_replaced_in_place(store: Store):
    store.ensure_token("admin", "first-value")
    store.ensure_token("admin", "second-value")
    assert store.check_token("first-value") is None
    token = store.check_token("second-value")
    assert token is not None and token.name == "admin" and not token.read_only
    assert [t.name for t in store.list_tokens()] == ["admin"]


def test_revoking_a_token_ends_it_and_an_unknown_one_is_not_found(store: Store):
    value = store.create_token("ci")
    store.revoke_token("ci")
    assert store.check_token(value) is None
    with pytest.raises(NotFound, match="token 'ci' not found"):
        store.revoke_token("ci")


def test_alert_destinations_are_replaced_per_alert(store: Store, app: App):
    assert store.alert_destinations(app.id, "a1") == ([], [])
    store.set_alert_destinations(app.id, "a1", "DEPLOYMENT_FAILED", "", ["x@example.com"],
                                 [{"url": "EV[…]", "channel": "#ops"}])
    store.set_alert_destinations(app.id, "a1", "DEPLOYMENT_FAILED", "", ["y@example.com"], [])
    assert store.alert_destinations(app.id, "a1") == (["y@example.com"], [])


def test_deliveries_are_listed_newest_first_up_to_a_limit(store: Store, app: App):
    for n in range(5):
        store.add_delivery(app.id, "DEPLOYMENT_LIVE", f"hook-{n}", "delivered", 1, "")
    listed = store.deliveries(app.id, limit=3)
    assert [d["destination"] for d in listed] == ["hook-4", "hook-3", "hook-2"]
    assert set(listed[0]) == {"rule", "destination", "status", "attempts", "detail", "at"}


def test_a_database_of_an_older_version_is_migrated_forward(tmp_path: Path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version=1;")
    conn.execute("INSERT INTO apps VALUES ('a1', 'old', 1, NULL, NULL, NULL, 't', 't')")
    conn.execute("INSERT INTO specs VALUES ('a1', 1, '{\"name\": \"old\"}', '', '[]', 't')")
    conn.execute("INSERT INTO deployments (id, app_id, spec_version, phase, created_at, "
                 "updated_at, phase_last_updated_at) VALUES ('d1', 'a1', 1, 'ACTIVE', 't', "
                 "'t', 't')")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        assert store.get_deployment("a1", "d1").options == {}  # column added by migration 2
        assert store.get_app("old").spec == {"name": "old"}
    finally:
        store.close()


def test_two_threads_can_write_at_once(store: Store, app: App):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(20):
                store.create_deployment(app, phase="PENDING_BUILD", cause=f"thread {n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(store.list_deployments(app.id)) == 80


def test_a_second_store_on_the_same_file_sees_the_writes(store: Store, app: App):
    other = Store(store.path)
    try:
        dep = other.create_deployment(other.get_app(app.id), phase="PENDING_BUILD",
                                      cause="from another process")
        assert store.get_deployment(app.id, dep.id).cause == "from another process"
    finally:
        other.close()
