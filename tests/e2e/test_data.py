"""Data survives: PostgreSQL rows through redeploys, a rollback and `down`/`up`; databases are
isolated per app; backup and restore; secrets never leak."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.conftest import EXAMPLE, wait_for
from tests.e2e.conftest import Platform, answers, commit, example_spec, get, make_repo

pytestmark = pytest.mark.slow


def post_note(url: str, text: str) -> dict:
    req = urllib.request.Request(url + "/api/notes/", data=json.dumps({"text": text}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        return json.loads(resp.read())


def notes(url: str) -> list[str]:
    status, body, _ = get(url, "/api/notes/")
    assert status == 200, body[:300]
    return sorted(n["text"] for n in json.loads(body)["notes"])


def db_connection(platform: Platform, app_id: str):  # type: ignore[no-untyped-def]
    """The app role's own connection details, read the way Dockyard keeps them."""
    from dockyard.databases import PostgresServer
    from dockyard.paths import Home

    settings = json.loads((platform.home / "config.json").read_text())
    return PostgresServer(Home(platform.home), settings["postgres_port"]).connection(app_id, "db")


@pytest.fixture(scope="module")
def notes_app(platform: Platform, profile_repo: Path, tmp_path_factory) -> dict:  # type: ignore[no-untyped-def]
    platform.deploy_spec(example_spec(tmp_path_factory.mktemp("notes"), "notesapp"))
    return platform.app("notesapp")


def test_rows_survive_redeploys_a_rollback_and_down_up(platform: Platform, notes_app: dict,
                                                       profile_repo: Path):
    url = notes_app["live_url"]
    post_note(url, "first")
    post_note(url, "second")
    template = profile_repo / "pages" / "templates" / "pages" / "index.html"
    original = template.read_text()
    for n in range(3):
        commit(profile_repo, {str(template.relative_to(profile_repo)): original.replace(
            "{% block content %}", f"{{% block content %}}<!-- redeploy {n} -->", 1)})
        platform.cli("apps", "create-deployment", "notesapp", "--wait")
        assert notes(url) == ["first", "second"]
    post_note(url, "third")
    platform.cli("apps", "rollback", "notesapp", "--skip-pin", "--wait")
    assert notes(url) == ["first", "second", "third"]
    platform.cli("down")
    platform.cli("up")
    wait_for(lambda: answers(url, "/health/"), f"{url} to answer after down and up", 120,
             interval=0.2)
    assert notes(url) == ["first", "second", "third"]
    log = platform.cli("apps", "logs", "notesapp", "--type", "deploy").out
    assert "dev database" in log and "WARNING" not in log


def test_two_apps_get_separate_databases_that_cannot_read_each_other(
        platform: Platform, notes_app: dict, tmp_path: Path):
    platform.deploy_spec(example_spec(tmp_path, "otherapp"))
    other = platform.app("otherapp")
    post_note(other["live_url"], "other's note")
    assert "other's note" not in notes(notes_app["live_url"])
    mine, theirs = db_connection(platform, notes_app["id"]), db_connection(platform, other["id"])
    assert mine.database != theirs.database and mine.username != theirs.username
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(host=mine.host, port=mine.port, user=mine.username,
                        password=mine.password, dbname=theirs.database, connect_timeout=5).close()


def test_backup_drop_a_table_restore_brings_it_back(platform: Platform, notes_app: dict):
    url = notes_app["live_url"]
    before = notes(url)
    assert before
    name = platform.cli("apps", "get", "notesapp", "-o", "json").json()[0]["spec"]["name"]
    backup = platform.cli("databases", "backup", name, "db", "-o", "json").json()
    assert backup["size"] > 0
    listed = platform.cli("databases", "backups", "notesapp").out
    assert backup["name"] in listed
    conn = db_connection(platform, notes_app["id"])
    with psycopg.connect(conn.url, autocommit=True) as db:
        db.execute("DROP TABLE pages_note")
    assert get(url, "/api/notes/")[0] == 500
    platform.cli("databases", "restore", "notesapp", "db", backup["name"])
    assert notes(url) == before


SECRET_APP = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"


def test_a_secret_appears_nowhere(platform: Platform, tmp_path: Path):
    value = "s3cr3t-" + secrets.token_hex(12)
    repo = make_repo(tmp_path / "leaky", SECRET_APP)
    platform.map_url("https://github.com/example/leaky.git", repo)
    spec = (SECRET_APP / "app.yaml").read_text().replace("name: zerodown", "name: leaky")
    spec = spec.replace("repo: example/zerodown", "repo: example/leaky")
    spec = spec.replace("run_command: gunicorn", "build_command: echo build sees $LEAKY\n"
                        "    run_command: echo run sees $LEAKY; env | grep LEAKY; gunicorn")
    spec += f"envs:\n  - key: LEAKY\n    type: SECRET\n    value: {value}\n"
    path = tmp_path / "leaky.yaml"
    path.write_text(spec)
    platform.deploy_spec(path)
    app = platform.app("leaky")
    outputs = [platform.cli("apps", "logs", "leaky", "web", "--type", kind).out
               for kind in ("build", "deploy", "run")]
    assert "build sees ***" in outputs[0] and "run sees ***" in outputs[2]
    outputs += [platform.cli("apps", "spec", "get", "leaky").out,
                platform.cli("apps", "spec", "get", "leaky", "--format", "json").out,
                platform.cli("apps", "get", "leaky", "-o", "json").out,
                platform.cli("apps", "list-deployments", "leaky", "-o", "json").out,
                json.dumps(platform.request("GET", f"/v2/apps/{app['id']}").body)]
    assert "EV[1:" in outputs[3]
    for out in outputs:
        assert value not in out
    leaks = [str(p) for p in platform.home.rglob("*") if p.is_file() and not p.is_symlink()
             and value.encode() in p.read_bytes()]
    assert leaks == []
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert value not in ps
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            assert value.encode() not in cmdline


def test_production_database_uses_a_registered_external_cluster(platform: Platform,
                                                                notes_app: dict,
                                                                tmp_path: Path):
    """The "external" cluster is a role and database made by hand on the same server."""
    from dockyard.databases import PostgresServer
    from dockyard.paths import Home

    settings = json.loads((platform.home / "config.json").read_text())
    pg = PostgresServer(Home(platform.home), settings["postgres_port"])
    password = secrets.token_hex(12)
    with pg.admin() as admin:
        admin.execute(f"CREATE ROLE ext_owner LOGIN PASSWORD '{password}'")
        admin.execute("CREATE DATABASE ext_notes OWNER ext_owner")
    url = f"postgres://ext_owner:{password}@127.0.0.1:{settings['postgres_port']}/ext_notes"
    platform.cli("databases", "clusters", "add", "ext", "--url", url)
    listed = platform.cli("databases", "clusters", "list").out
    assert "ext" in listed and password not in listed
    text = (EXAMPLE / "config" / "app.yaml").read_text().replace(
        "  - name: db\n    engine: PG\n",
        "  - name: db\n    engine: PG\n    production: true\n    cluster_name: ext\n")
    platform.deploy_spec(example_spec(tmp_path, "extapp", text=text))
    url_live = platform.app("extapp")["live_url"]
    post_note(url_live, "kept outside")
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute("SELECT text FROM pages_note").fetchall()
    assert rows == [("kept outside",)]


def test_other_engines_are_refused_at_create_naming_the_field(platform: Platform,
                                                              profile_repo: Path,
                                                              tmp_path: Path):
    text = (EXAMPLE / "config" / "app.yaml").read_text().replace(
        "  - name: db\n    engine: PG\n", "  - name: db\n    engine: PG\n"
        "  - name: cache\n    engine: REDIS\n")
    spec = example_spec(tmp_path, "redisapp", text=text)
    offline = platform.cli("apps", "spec", "validate", "--schema-only", str(spec))
    assert offline.code == 0  # valid on DigitalOcean
    server = platform.cli("apps", "spec", "validate", str(spec), check=False)
    assert server.code != 0 and "databases[1].engine" in server.err
    result = platform.deploy_spec(spec, check=False)
    assert result.code != 0
    assert "databases[1].engine" in result.err and "PostgreSQL" in result.err
    assert "redisapp" not in platform.cli("apps", "list", "-o", "json").out


def test_console_runs_a_command_in_the_live_release(platform: Platform, notes_app: dict):
    out = platform.cli("apps", "console", "notesapp", "web", "--", "python", "manage.py",
                       "shell", "-c", "from pages.models import Note; "
                       "print('NOTES', Note.objects.count())").out
    count = len(notes(notes_app["live_url"]))
    assert f"NOTES {count}" in out
    leftovers = list((platform.home / "apps" / notes_app["id"] / "instances").glob("console-*"))
    assert leftovers == []


def test_rollback_with_data_restores_the_backup_taken_before_migrations(
        platform: Platform, profile_repo: Path, tmp_path: Path):
    text = (EXAMPLE / "config" / "app.yaml").read_text() + (
        "jobs:\n  - name: migrate\n    kind: PRE_DEPLOY\n    environment_slug: python\n"
        "    github:\n      repo: example/profileapp\n      branch: main\n"
        "    run_command: python manage.py migrate --noinput\n"
        "    envs:\n      - key: DATABASE_URL\n        scope: RUN_TIME\n"
        "        value: ${db.DATABASE_URL}\n")
    spec = example_spec(tmp_path, "dataroll", text=text)
    platform.deploy_spec(spec)
    url = platform.app("dataroll")["live_url"]
    first = platform.app("dataroll")["active_deployment"]["id"]
    post_note(url, "before the second deploy")
    platform.cli("apps", "create-deployment", "dataroll", "--wait")
    post_note(url, "after the second deploy")
    backups = platform.cli("databases", "backups", "dataroll", "-o", "json").json()
    assert len([b for b in backups if "-before-" in b["name"]]) == 2
    platform.cli("apps", "rollback", "dataroll", first, "--with-data", "--skip-pin", "--wait")
    assert notes(url) == ["before the second deploy"]


def test_deleting_an_app_keeps_a_final_backup(platform: Platform, profile_repo: Path,
                                              tmp_path: Path):
    platform.deploy_spec(example_spec(tmp_path, "goner"))
    app = platform.app("goner")
    post_note(app["live_url"], "keep me")
    platform.cli("apps", "delete", "goner", "--force")
    finals = list((platform.home / "backups").glob(f"goner-{app['id'][:8]}/db/*-final.dump"))
    assert len(finals) == 1 and finals[0].stat().st_size > 0
    assert platform.cli("apps", "get", "goner", check=False).code == 1


class HealthProbe:
    """``GET /healthz`` every 20 ms on one keep-alive HTTPS connection, in a thread; records
    how long each answer took."""

    def __init__(self, platform: Platform) -> None:
        import http.client
        import ssl
        import threading

        parts = urllib.parse.urlsplit(platform.api_url)
        ctx = ssl.create_default_context(cafile=str(platform.home / "tls" / "ca.pem"))
        self.conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=ctx,
                                                timeout=30)
        self.seconds: list[float] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            start = time.monotonic()
            self.conn.request("GET", "/healthz")
            resp = self.conn.getresponse()
            assert resp.status == 200 and b'"ok"' in resp.read()
            self.seconds.append(time.monotonic() - start)

    def __enter__(self) -> HealthProbe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)
        self.conn.close()


def alias_bomb() -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text + "name: bomb\nservices: *g\n"


def test_healthz_answers_at_once_while_a_propose_a_backup_and_a_deploy_run(
        platform: Platform, notes_app: dict):
    """Issue 10, defect 2: blocking work ran on the event loop (``/healthz`` waited 11.6 s)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import Dockyard

    api = Dockyard(platform.home)
    app_id = notes_app["id"]
    work = {
        "propose": lambda: api.request("POST", "/v2/apps/propose",
                                       {"spec_yaml": alias_bomb()}, token="admin"),
        "backup": lambda: api.request("POST",
                                      f"/v2/dockyard/apps/{app_id}/databases/db/backups"),
        "deploy": lambda: api.request("POST", f"/v2/apps/{app_id}/deployments", {}),
    }
    with HealthProbe(platform) as probe, ThreadPoolExecutor(3) as pool:
        results = {name: pool.submit(job) for name, job in work.items()}
        answers = {name: future.result(timeout=600) for name, future in results.items()}
        dep_id = answers["deploy"].body["deployment"]["id"]
        deadline = time.monotonic() + 300
        while (phase := api.request("GET", f"/v2/apps/{app_id}/deployments/{dep_id}")
               .body["deployment"]["phase"]) not in ("ACTIVE", "ERROR"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert answers["propose"].status == 422 and answers["backup"].status == 200
    assert phase == "ACTIVE"
    slow = sorted(probe.seconds)[-5:]
    print(f"healthz: {len(probe.seconds)} answers, median "
          f"{sorted(probe.seconds)[len(probe.seconds) // 2] * 1000:.1f} ms, slowest "
          f"{[round(s * 1000, 1) for s in slow]} ms")
    # A blocked event loop shows as answers of seconds (11.6 s before the fix). Under 100 ms
    # is the aim for every answer; the other processes of this test (a build, pg_dump, a spec
    # check) and other work on the machine compete for CPU, so a few answers may wait for a
    # core: 95 % must be under 100 ms, and none may take a second.
    assert len(probe.seconds) >= 20
    fast = sum(s < 0.1 for s in probe.seconds) / len(probe.seconds)
    assert fast >= 0.95 and max(probe.seconds) < 1.0, (fast, slow)
