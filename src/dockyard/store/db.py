"""The SQLite store (WAL mode, foreign keys on, one connection guarded by a lock)."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dockyard.errors import Conflict, NotFound
from dockyard.logs import timestamp
from dockyard.store.invocations import InvocationStore
from dockyard.store.metrics import MetricStore
from dockyard.store.migrations import MIGRATIONS
from dockyard.store.records import App, Deployment, Token

# App ids must never collide with the literal routes under /v2/apps.
RESERVED_NAMES = {"propose", "regions", "tiers", "metrics", "instance_sizes", "detect",
                  "buildpacks"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store(InvocationStore, MetricStore):
    """Apps, spec versions, deployments and tokens. Safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self.migrate()

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT, rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def schema_version(self) -> int:
        return self._query("PRAGMA user_version")[0][0]

    def migrate(self) -> None:
        current = self.schema_version()
        for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
            with self._lock:
                self._conn.executescript(
                    f"BEGIN;\n{script}\nPRAGMA user_version={number};\nCOMMIT;")

    def close(self) -> None:
        self._conn.close()

    # -- apps ----------------------------------------------------------------------------
    def create_app(self, name: str, spec: dict[str, Any], spec_yaml: str, notes: list[str],
                   port: int | None = None) -> App:
        now = timestamp()
        app_id = str(uuid.uuid4())
        try:
            with self.tx() as c:
                c.execute("INSERT INTO apps (id, name, spec_version, port, webhook_secret, "
                          "created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, ?)",
                          (app_id, name, port, None, now, now))
                self._insert_spec(c, app_id, 1, spec, spec_yaml, notes, now)
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"an app named {name!r} already exists",
                           hint="Use `dockyard apps update` or `apps create --upsert`.") from exc
        return self.get_app(app_id)

    @staticmethod
    def _insert_spec(c: sqlite3.Connection, app_id: str, version: int, spec: dict[str, Any],
                     spec_yaml: str, notes: list[str], now: str) -> None:
        c.execute("INSERT INTO specs (app_id, version, spec_json, spec_yaml, notes_json, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                  (app_id, version, json.dumps(spec), spec_yaml, json.dumps(notes), now))

    def update_spec(self, app_id: str, spec: dict[str, Any], spec_yaml: str,
                    notes: list[str]) -> App:
        app = self.get_app(app_id)
        now = timestamp()
        try:
            with self.tx() as c:
                version = app.spec_version + 1
                self._insert_spec(c, app.id, version, spec, spec_yaml, notes, now)
                c.execute("UPDATE apps SET spec_version=?, name=?, updated_at=? WHERE id=?",
                          (version, spec["name"], now, app.id))
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"an app named {spec['name']!r} already exists") from exc
        return self.get_app(app.id)

    def set_webhook_secret(self, app_id: str, encrypted: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE apps SET webhook_secret=? WHERE id=?", (encrypted, app_id))

    def claim_delivery(self, delivery_id: str, app_id: str, keep_days: int = 30) -> bool:
        """Record a webhook delivery for an app; False when it was recorded before (GitHub
        redelivers the same ``X-GitHub-Delivery``). Records older than ``keep_days`` go."""
        now = timestamp()
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - keep_days * 86400))
        with self.tx() as c:
            c.execute("DELETE FROM webhook_deliveries WHERE received_at < ?", (cutoff,))
            cur = c.execute("INSERT OR IGNORE INTO webhook_deliveries (delivery_id, app_id, "
                            "received_at) VALUES (?, ?, ?)", (delivery_id, app_id, now))
            return cur.rowcount == 1

    def set_pin(self, app_id: str, dep_id: str | None) -> None:
        """Pin the app to a rollback (deploy-on-push pauses) or unpin it (``None``)."""
        with self.tx() as c:
            c.execute("UPDATE apps SET pinned_deployment_id=? WHERE id=?", (dep_id, app_id))

    def _app_from_row(self, row: sqlite3.Row) -> App:
        spec_row = self._query("SELECT spec_json, spec_yaml, notes_json FROM specs "
                               "WHERE app_id=? AND version=?", (row["id"], row["spec_version"]))[0]
        return App(**dict(row), spec=json.loads(spec_row["spec_json"]),
                   spec_yaml=spec_row["spec_yaml"], notes=json.loads(spec_row["notes_json"]))

    def find_app(self, ref: str) -> App | None:
        """An app by id or by name."""
        rows = self._query("SELECT * FROM apps WHERE id=? OR name=?", (ref, ref))
        return self._app_from_row(rows[0]) if rows else None

    def get_app(self, ref: str) -> App:
        app = self.find_app(ref)
        if app is None:
            raise NotFound(f"app {ref!r} not found",
                           hint="`dockyard apps list` shows the apps there are.")
        return app

    def list_apps(self) -> list[App]:
        rows = self._query("SELECT * FROM apps ORDER BY created_at, rowid")  # creation order
        return [self._app_from_row(r) for r in rows]

    def spec_version(self, app_id: str, version: int) -> dict[str, Any]:
        rows = self._query("SELECT spec_json FROM specs WHERE app_id=? AND version=?",
                           (app_id, version))
        if not rows:
            raise NotFound(f"spec version {version} of app {app_id} not found")
        return json.loads(rows[0]["spec_json"])

    def delete_app(self, app_id: str) -> None:
        with self.tx() as c:
            c.execute("DELETE FROM apps WHERE id=?", (app_id,))
            c.execute("DELETE FROM alert_deliveries WHERE app_id=?", (app_id,))

    def used_ports(self) -> set[int]:
        return {r[0] for r in self._query("SELECT port FROM apps WHERE port IS NOT NULL")}

    # -- deployments ---------------------------------------------------------------------
    def create_deployment(self, app: App, *, phase: str, cause: str, cause_type: str = "MANUAL",
                          cloned_from: str = "", force_build: bool = False,
                          progress: dict[str, Any] | None = None,
                          spec_version: int | None = None,
                          options: dict[str, Any] | None = None) -> Deployment:
        now = timestamp()
        dep_id = str(uuid.uuid4())
        with self.tx() as c:
            c.execute(
                "INSERT INTO deployments (id, app_id, spec_version, phase, cause, cause_type, "
                "cloned_from, force_build, progress_json, created_at, updated_at, "
                "phase_last_updated_at, options_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dep_id, app.id, spec_version or app.spec_version, phase, cause, cause_type,
                 cloned_from, int(force_build), json.dumps(progress or {}), now, now, now,
                 json.dumps(options or {})))
        return self.get_deployment(app.id, dep_id)

    def get_deployment(self, app_id: str, dep_id: str) -> Deployment:
        rows = self._query("SELECT * FROM deployments WHERE app_id=? AND id=?", (app_id, dep_id))
        if not rows:
            raise NotFound(f"deployment {dep_id!r} of app {app_id!r} not found")
        return Deployment.from_row(rows[0])

    def list_deployments(self, app_id: str, *, phases: tuple[str, ...] = ()) -> list[Deployment]:
        sql = "SELECT * FROM deployments WHERE app_id=?"
        args: tuple[Any, ...] = (app_id,)
        if phases:
            sql += f" AND phase IN ({','.join('?' * len(phases))})"
            args += phases
        rows = self._query(sql + " ORDER BY created_at DESC, rowid DESC", args)
        return [Deployment.from_row(r) for r in rows]

    def set_phase(self, dep: Deployment, phase: str) -> Deployment:
        """Record a phase change (the deploy state machine checks that it is allowed)."""
        now = timestamp()
        with self.tx() as c:
            c.execute("UPDATE deployments SET phase=?, updated_at=?, phase_last_updated_at=? "
                      "WHERE id=?", (phase, now, now, dep.id))
            c.execute("INSERT INTO phase_changes (deployment_id, phase, was, at) "
                      "VALUES (?, ?, ?, ?)", (dep.id, phase, dep.phase, now))
        return self.get_deployment(dep.app_id, dep.id)

    def update_deployment(self, dep: Deployment, **fields: Any) -> Deployment:
        """Write progress, component records, the error, or (a restart re-targeted when it
        runs) the release it clones."""
        cols = {"progress": "progress_json", "components": "components_json",
                "error_code": "error_code", "error_message": "error_message",
                "cloned_from": "cloned_from", "spec_version": "spec_version"}
        sets, args = [], []
        for key, value in fields.items():
            sets.append(f"{cols[key]}=?")
            args.append(json.dumps(value) if key in ("progress", "components") else value)
        with self.tx() as c:
            c.execute(f"UPDATE deployments SET {', '.join(sets)}, updated_at=? WHERE id=?",
                      (*args, timestamp(), dep.id))
        return self.get_deployment(dep.app_id, dep.id)

    def phase_history(self, dep_id: str) -> list[dict[str, str]]:
        rows = self._query("SELECT phase, was, at FROM phase_changes WHERE deployment_id=? "
                           "ORDER BY rowid", (dep_id,))
        return [dict(r) for r in rows]

    # -- alerts ----------------------------------------------------------------------------
    def alert_destinations(self, app_id: str, alert_id: str) -> tuple[list[str], list[dict]]:
        rows = self._query("SELECT emails_json, webhooks_json FROM alert_destinations "
                           "WHERE app_id=? AND alert_id=?", (app_id, alert_id))
        if not rows:
            return [], []
        return json.loads(rows[0]["emails_json"]), json.loads(rows[0]["webhooks_json"])

    def set_alert_destinations(self, app_id: str, alert_id: str, rule: str, component: str,
                               emails: list[str], webhooks: list[dict]) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO alert_destinations (app_id, alert_id, rule, component_name, "
                      "emails_json, webhooks_json) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT(app_id, alert_id) DO UPDATE SET "
                      "emails_json=excluded.emails_json, webhooks_json=excluded.webhooks_json",
                      (app_id, alert_id, rule, component, json.dumps(emails),
                       json.dumps(webhooks)))

    def add_delivery(self, app_id: str, rule: str, destination: str, status: str,
                     attempts: int, detail: str) -> None:
        with self.tx() as c:
            c.execute("INSERT INTO alert_deliveries (app_id, rule, destination, status, "
                      "attempts, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (app_id, rule, destination, status, attempts, detail, timestamp()))

    def deliveries(self, app_id: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._query("SELECT rule, destination, status, attempts, detail, at FROM "
                           "alert_deliveries WHERE app_id=? ORDER BY id DESC LIMIT ?",
                           (app_id, limit))
        return [dict(r) for r in rows]

    # -- tokens --------------------------------------------------------------------------
    def create_token(self, name: str, *, read_only: bool = False) -> str:
        """Make a named token; only its hash is stored, so the value is shown once."""
        value = "dky_" + secrets.token_urlsafe(32)
        try:
            with self.tx() as c:
                c.execute("INSERT INTO tokens (name, token_hash, read_only, created_at) "
                          "VALUES (?, ?, ?, ?)", (name, hash_token(value), int(read_only),
                                                  timestamp()))
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"a token named {name!r} already exists") from exc
        return value

    def ensure_token(self, name: str, value: str) -> None:
        """Register a token whose value was made elsewhere (the admin token file)."""
        with self.tx() as c:
            c.execute("INSERT INTO tokens (name, token_hash, read_only, created_at) "
                      "VALUES (?, ?, 0, ?) ON CONFLICT(name) DO UPDATE SET "
                      "token_hash=excluded.token_hash", (name, hash_token(value), timestamp()))

    def check_token(self, value: str) -> Token | None:
        rows = self._query("SELECT name, read_only, created_at, last_used_at FROM tokens "
                           "WHERE token_hash=?", (hash_token(value),))
        if not rows:
            return None
        r = rows[0]
        return Token(r["name"], bool(r["read_only"]), r["created_at"], r["last_used_at"])

    def list_tokens(self) -> list[Token]:
        rows = self._query("SELECT name, read_only, created_at, last_used_at FROM tokens "
                           "ORDER BY created_at")
        return [Token(r["name"], bool(r["read_only"]), r["created_at"], r["last_used_at"])
                for r in rows]

    def revoke_token(self, name: str) -> None:
        with self.tx() as c:
            if c.execute("DELETE FROM tokens WHERE name=?", (name,)).rowcount == 0:
                raise NotFound(f"token {name!r} not found")
