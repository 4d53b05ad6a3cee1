"""Claims and transactions: a webhook delivery is acted on once however many servers see it,
old delivery records go, a failing transaction leaves nothing behind, and the webhook secret
is stored as given (already encrypted by the caller)."""

from __future__ import annotations

import time

import pytest

from dockyard.store import App, Store
from tests.store.conftest import race


def test_a_redelivered_webhook_is_claimed_once_per_app(store: Store, app: App):
    other = store.create_app("other", {"name": "other"}, "", [])
    assert store.claim_delivery("d-1", app.id) is True
    assert store.claim_delivery("d-1", app.id) is False         # GitHub's redelivery
    assert store.claim_delivery("d-1", other.id) is True        # one push, two apps
    assert store.claim_delivery("d-2", app.id) is True


def test_records_older_than_the_retention_go_on_the_next_claim(store: Store, app: App):
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 40 * 86400))
    recent = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5 * 86400))
    with store.tx() as c:
        c.execute("INSERT INTO webhook_deliveries VALUES ('old', ?, ?)", (app.id, old))
        c.execute("INSERT INTO webhook_deliveries VALUES ('recent', ?, ?)", (app.id, recent))
    assert store.claim_delivery("new", app.id, keep_days=30)
    kept = {r[0] for r in store._query("SELECT delivery_id FROM webhook_deliveries")}
    assert kept == {"recent", "new"}
    assert store.claim_delivery("old", app.id) is True          # forgotten: acted on again
    assert store.claim_delivery("recent", app.id) is False


def test_many_servers_racing_for_one_delivery_one_wins(store: Store, app: App):
    results = race(store, 6, lambda s, _n: s.claim_delivery("push-42", app.id))
    assert sorted(results) == [False] * 5 + [True]


def test_a_failing_transaction_writes_nothing(store: Store, app: App):
    with pytest.raises(RuntimeError, match="half way"):
        with store.tx() as c:
            c.execute("UPDATE apps SET port=9999 WHERE id=?", (app.id,))
            raise RuntimeError("half way")
    assert store.get_app(app.id).port == 8123
    store.set_pin(app.id, "dep-1")                              # the store still works
    assert store.get_app(app.id).pinned_deployment_id == "dep-1"


def test_the_webhook_secret_is_stored_as_given(store: Store, app: App):
    assert store.get_app(app.id).webhook_secret is None
    store.set_webhook_secret(app.id, "gAAAA-encrypted")
    assert store.get_app(app.id).webhook_secret == "gAAAA-encrypted"


def test_apps_list_in_creation_order_even_within_one_second(store: Store, app: App):
    second = store.create_app("another", {"name": "another"}, "", [])   # sorts before "shop"
    with store.tx() as c:                                # same second, whatever the clock did
        c.execute("UPDATE apps SET created_at=?", (app.created_at,))
    assert [a.id for a in store.list_apps()] == [app.id, second.id]


def test_tokens_list_without_their_values(store: Store):
    store.create_token("ci", read_only=True)
    store.ensure_token("admin", "value-made-elsewhere")
    listed = {t.name: t for t in store.list_tokens()}
    assert set(listed) == {"ci", "admin"}
    assert listed["ci"].read_only and not listed["admin"].read_only
    assert listed["ci"].last_used_at is None
    assert "value-made-elsewhere" not in repr(store.list_tokens())


def test_a_restart_deployment_is_retargeted_to_the_release_it_clones(store: Store, app: App):
    first = store.create_deployment(app, phase="ACTIVE", cause="initial")
    restart = store.create_deployment(app, phase="PENDING_DEPLOY", cause="restart",
                                      cloned_from="")
    moved = store.update_deployment(restart, cloned_from=first.id, spec_version=1)
    assert moved.cloned_from == first.id and moved.updated_at >= restart.updated_at
    with pytest.raises(KeyError):
        store.update_deployment(restart, phase="ACTIVE")          # phases: only set_phase
