"""Versioned schema migrations, applied in order; ``PRAGMA user_version`` records the last one.

Never edit a migration that has shipped: add a new one.
"""

MIGRATIONS: list[str] = [
    # 1: apps, every spec version, deployments with their phases, tokens, alerts.
    """
    CREATE TABLE apps (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        spec_version INTEGER NOT NULL,
        port INTEGER,
        webhook_secret TEXT,
        pinned_deployment_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE specs (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        spec_json TEXT NOT NULL,
        spec_yaml TEXT NOT NULL,
        notes_json TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        PRIMARY KEY (app_id, version)
    );
    CREATE TABLE deployments (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        spec_version INTEGER NOT NULL,
        phase TEXT NOT NULL,
        cause TEXT NOT NULL DEFAULT '',
        cause_type TEXT NOT NULL DEFAULT 'MANUAL',
        cloned_from TEXT NOT NULL DEFAULT '',
        force_build INTEGER NOT NULL DEFAULT 0,
        progress_json TEXT NOT NULL DEFAULT '{}',
        components_json TEXT NOT NULL DEFAULT '[]',
        error_code TEXT NOT NULL DEFAULT '',
        error_message TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        phase_last_updated_at TEXT NOT NULL
    );
    CREATE INDEX deployments_by_app ON deployments(app_id, created_at);
    CREATE TABLE phase_changes (
        deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        was TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE tokens (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        read_only INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        last_used_at TEXT
    );
    CREATE TABLE alert_destinations (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        alert_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        component_name TEXT NOT NULL DEFAULT '',
        emails_json TEXT NOT NULL DEFAULT '[]',
        webhooks_json TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (app_id, alert_id)
    );
    CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        destination TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL
    );
    """,
    # 2: per-deployment options (e.g. a rollback that restores data).
    """
    ALTER TABLE deployments ADD COLUMN options_json TEXT NOT NULL DEFAULT '{}';
    """,
    # 3: scheduled job invocations, metric samples, and the state of metric alert rules.
    """
    CREATE TABLE job_invocations (
        id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        job_name TEXT NOT NULL,
        deployment_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        phase TEXT NOT NULL,
        trigger_json TEXT NOT NULL DEFAULT '{}',
        scheduled_for TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT NOT NULL DEFAULT '',
        completed_at TEXT NOT NULL DEFAULT '',
        exit_code INTEGER,
        error_message TEXT NOT NULL DEFAULT '',
        pid INTEGER,
        UNIQUE (app_id, job_name, scheduled_for)
    );
    CREATE INDEX job_invocations_by_app ON job_invocations(app_id, seq);
    CREATE TABLE metric_samples (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        deployment_id TEXT NOT NULL,
        component TEXT NOT NULL,
        instance TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL,
        seconds REAL NOT NULL,
        cpu_percent REAL,
        memory_bytes INTEGER,
        memory_percent REAL,
        restarts INTEGER,
        requests INTEGER,
        r1xx INTEGER, r2xx INTEGER, r3xx INTEGER, r4xx INTEGER, r5xx INTEGER,
        bytes_in INTEGER,
        bytes_out INTEGER,
        latency_p95_ms REAL,
        latency_avg_ms REAL
    );
    CREATE INDEX metric_samples_by_app ON metric_samples(app_id, at);
    CREATE TABLE alert_states (
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        alert_key TEXT NOT NULL,
        firing INTEGER NOT NULL DEFAULT 0,
        value REAL,
        changed_at REAL NOT NULL,
        PRIMARY KEY (app_id, alert_key)
    );
    """,
    # 4: GitHub webhook deliveries already acted on (a redelivered push deploys once).
    """
    CREATE TABLE webhook_deliveries (
        delivery_id TEXT NOT NULL,
        app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        received_at TEXT NOT NULL,
        PRIMARY KEY (delivery_id, app_id)
    );
    """,
]
