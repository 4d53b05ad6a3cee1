"""A WSGI app for the faults-under-load suite: every ``GET /`` writes one row to PostgreSQL.

``/`` inserts a row and answers ``version=<version.txt> row=<id> pid=<pid>`` only after the
row's transaction committed, so each 200 is a row the app acknowledged; the suite counts
those against the rows present afterwards. ``/health`` does not touch the database (a
database outage must not fail a deployment's health gate). The connection is kept per
worker and opened again after an error (the server was killed and came back).
"""

import os
from pathlib import Path

import psycopg

VERSION = Path(__file__).with_name("version.txt").read_text().strip()
SCHEMA = "CREATE TABLE IF NOT EXISTS hits (id bigserial PRIMARY KEY, version text NOT NULL, " \
         "at timestamptz NOT NULL DEFAULT now())"
_conn = None


def connection():
    """The worker's connection; the table is made once, under a lock (two workers race)."""
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5)
        with _conn.transaction():
            _conn.execute("SELECT pg_advisory_xact_lock(4242)")
            _conn.execute(SCHEMA)
    return _conn


def write_row():
    global _conn
    try:
        conn = connection()
        with conn.transaction():
            row = conn.execute("INSERT INTO hits (version) VALUES (%s) RETURNING id",
                               (VERSION,)).fetchone()
        return row[0]
    except psycopg.Error:
        if _conn is not None:
            _conn.close()
        _conn = None
        raise


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    try:
        row = write_row()
    except psycopg.Error as exc:
        body = f"database error: {type(exc).__name__}\n".encode()
        start_response("503 Service Unavailable", [("Content-Type", "text/plain"),
                                                   ("Content-Length", str(len(body)))])
        return [body]
    body = f"version={VERSION} row={row} pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
