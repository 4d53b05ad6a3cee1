"""Database units, no server running: names, URLs with odd passwords and hosts, the version
check of a spec, the client tools' command lines, where the cluster lives, and the external
cluster registry."""

from __future__ import annotations

import json
import re
import socket
import stat
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import psycopg
import pytest

from dockyard.databases import Connection, ExternalClusters
from dockyard.databases.connection import NAME_MAX, check_name, default_name
from dockyard.databases.dumps import client_env, dump_argv, restore_argv
from dockyard.databases.engines import check_cluster_version, check_engine, major
from dockyard.databases.layout import Layout, RunAs, find_bindir
from dockyard.databases.provision import new_password
from dockyard.databases.versions import check_databases
from dockyard.errors import DockyardError, NotFound
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox

ODD_PASSWORDS = ["p@ss:word/with?odd#chars", "100%", "sp ace+plus", "ünïcødé", "a'b\"c\\d",
                 "&user=evil", ""]


# -- names -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("parts", "name"), [
    (("shop", "db"), "shop_db"),
    (("Shop-Prod", "Main DB"), "shop_prod_main_db"),
    (("my--app", "db"), "my_app_db"),          # a run of other characters: one _
    (("", ""), "db"),
    (("ünï", "ø"), "n"),            # only ASCII letters survive: é, ü, ø are dropped
    (("1st", "db"), "db_1st_db"),
    (("_x", "y"), "x_y")])
def test_default_names_are_lowercase_ascii_identifiers(parts: tuple[str, str], name: str):
    assert default_name(*parts) == name
    assert re.fullmatch(r"[a-z][a-z0-9_]*", default_name(*parts))


def test_long_default_names_stay_within_postgres_limit_and_apart() -> None:
    app = "a" * 70
    names = {default_name(app, comp, suffix=sfx) for comp in ("one", "two")
             for sfx in ("", "_user")}
    assert len(names) == 4 and all(len(n.encode()) <= NAME_MAX for n in names)
    assert all(n.startswith("a" * 40) for n in names)
    assert default_name(app, "one") == default_name(app, "one")  # stable: same input, same name


@pytest.mark.parametrize("name", ["shop_db", "ShopDB", "x", "y" * 63, "my-db", "pgsql"])
def test_user_chosen_names_are_used_as_given(name: str) -> None:
    assert check_name("db", "db_name", name) == name


@pytest.mark.parametrize(("name", "why"), [
    ("", "must be 1 to 63 bytes long"), ("é" * 32, "must be 1 to 63 bytes long"),
    ("PG_stats", "is reserved"), ("template1", "is reserved"), ("Public", "is reserved")])
def test_names_postgres_refuses_are_refused_with_the_field_and_a_fix(name: str, why: str):
    with pytest.raises(DockyardError) as err:
        check_name("reports", "db_name", name)
    assert err.value.message.startswith(f"databases 'reports': db_name '{name}' {why}")
    assert "default <app>_<component>" in (err.value.hint or "")


def test_new_passwords_need_no_quoting_and_differ() -> None:
    made = {new_password() for _ in range(20)}
    assert len(made) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", p) for p in made)


# -- URLs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("password", ODD_PASSWORDS)
def test_odd_passwords_survive_the_url_and_libpq_reads_them_back(password: str) -> None:
    conn = Connection("db.internal", 5432, "app user", password, "my db", "require")
    assert Connection.from_url(conn.url) == conn
    # libpq (through psycopg) reads the same fields from our URL as we do
    info = psycopg.conninfo.conninfo_to_dict(conn.url)
    assert (info["host"], info["port"], info["user"], info["dbname"], info["sslmode"]) == \
        ("db.internal", "5432", "app user", "my db", "require")
    assert info.get("password", "") == password


@pytest.mark.parametrize("password", [p for p in ODD_PASSWORDS if p])
def test_the_masked_url_never_shows_the_password_in_any_form(password: str) -> None:
    from urllib.parse import quote

    conn = Connection("h", 5432, "u", password, "d")
    masked = conn.masked_url
    assert masked == "postgresql://u:***@h:5432/d"
    assert quote(password, safe="") not in masked.replace("***", "")
    assert password not in repr(conn)


def test_the_jdbc_url_carries_escaped_credentials_as_query_parameters() -> None:
    conn = Connection("h", 6543, "u", "a&b=c", "shop", "require")
    parts = urlsplit(conn.jdbc_url.removeprefix("jdbc:"))
    assert (parts.scheme, parts.hostname, parts.port, parts.path) == ("postgresql", "h", 6543,
                                                                     "/shop")
    query = dict(p.split("=", 1) for p in parts.query.split("&"))
    assert query == {"user": "u", "password": "a%26b%3Dc", "sslmode": "require"}


def test_an_ipv6_cluster_gets_urls_apps_can_parse() -> None:
    conn = Connection.from_url("postgres://admin:pw@[2001:db8::5]:25060/defaultdb")
    assert conn.host == "2001:db8::5" and conn.port == 25060
    assert conn.url == "postgresql://admin:pw@[2001:db8::5]:25060/defaultdb?sslmode=prefer"
    assert urlsplit(conn.url).hostname == "2001:db8::5" and urlsplit(conn.url).port == 25060
    assert conn.masked_url.startswith("postgresql://admin:***@[2001:db8::5]:25060/")
    assert conn.jdbc_url.startswith("jdbc:postgresql://[2001:db8::5]:25060/defaultdb?")
    assert Connection.from_url(conn.url) == conn
    assert psycopg.conninfo.conninfo_to_dict(conn.url)["host"] == "2001:db8::5"


@pytest.mark.parametrize("url", ["postgres://u:secret@h:notaport/db",
                                 "postgres://u:secret@h:99999/db"])
def test_a_url_with_a_bad_port_is_a_clear_error_without_the_password(url: str) -> None:
    with pytest.raises(DockyardError) as err:
        Connection.from_url(url)
    assert err.value.code == "database.invalid_url"
    assert "port" in err.value.message and "secret" not in str(err.value)


def test_url_query_parameters_other_than_sslmode_are_ignored() -> None:
    conn = Connection.from_url("postgresql://u:p@h/d?application_name=x&sslmode=verify-full&x")
    assert conn.sslmode == "verify-full" and conn.database == "d"


# -- versions and engines ------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [("15", "15"), (" 15.3 ", "15"), ("V16", "16"),
                                                 ("v9.6", "9")])
def test_major_versions(text: str, expected: str) -> None:
    assert major(text) == expected


def test_engines_are_compared_case_insensitively_and_enums_are_read() -> None:
    check_engine("db", "pg")
    check_engine("db", SimpleNamespace(value="PG"))  # type: ignore[arg-type]
    with pytest.raises(DockyardError, match=r"databases\[…\] 'db': engine is not set"):
        check_engine("db", None)


def test_a_cluster_version_written_differently_is_still_the_same_major() -> None:
    check_cluster_version("db", "v15.2", "main", "15")
    check_cluster_version("db", None, "main", "15")
    check_cluster_version("db", "  ", "main", "15")
    with pytest.raises(DockyardError) as err:
        check_cluster_version("db", "16", "main", "15.4")
    assert err.value.hint == 'Fix: set `version: "15"`, or use a cluster of version 16.'


def spec(*dbs: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(databases=list(dbs))


def db(name: str, version: str | None, cluster: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(name=name, version=version, cluster_name=cluster)


def test_a_spec_check_refuses_newer_versions_and_notes_older_ones(tmp_path: Path) -> None:
    from dockyard.databases import PostgresServer

    home = Home(tmp_path)
    server = int(PostgresServer(home, 0, run_as=RunAs()).version())
    problems, notes = check_databases(spec(db("a", None), db("old", str(server - 2)),
                                           db("new", str(server + 1))), home)
    assert problems == [(("databases", 2, "version"),
                         f"databases 'new': version {server + 1} was requested, but Dockyard's "
                         f"PostgreSQL server is version {server}. Fix: install PostgreSQL "
                         f'{server + 1} on the host, or set `version: "{server}"` (or remove '
                         "`version`).")]
    assert notes == [f"databases 'old': version {server - 2} was requested; it runs on "
                     f"PostgreSQL {server}, the server's version (DigitalOcean also upgrades "
                     "retired versions)"]


def test_a_spec_check_notes_a_cluster_it_cannot_reach_and_skips_unknown_ones(tmp_path: Path):
    home = Home(tmp_path)
    with socket.socket() as sock:           # a port nobody listens on: refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        ExternalClusters.for_home(home, SecretBox(home.secrets_key)).add(
            "main", f"postgres://u:pw@127.0.0.1:{port}/d")
        problems, notes = check_databases(spec(db("prod", "15", "main"),
                                               db("other", "15", "nope")), home)
    assert problems == []
    assert notes == ["databases 'prod': cluster 'main' could not be reached to check its "
                     "version (OperationalError)"]


# -- client tools --------------------------------------------------------------------------------
def test_dump_and_restore_command_lines(tmp_path: Path) -> None:
    conn = Connection("10.0.0.5", 25060, "shop_user", "pw", "shop db", "require")
    bindir = Path("/usr/lib/postgresql/15/bin")
    assert dump_argv(bindir, conn, tmp_path / "x.dump") == [
        "/usr/lib/postgresql/15/bin/pg_dump", "-Fc", "--no-password", "-h", "10.0.0.5",
        "-p", "25060", "-U", "shop_user", "-d", "shop db", "-f", str(tmp_path / "x.dump")]
    assert restore_argv(bindir, conn, tmp_path / "x.dump") == [
        "/usr/lib/postgresql/15/bin/pg_restore", "--clean", "--if-exists", "--no-owner",
        "--single-transaction", "--no-password", "-h", "10.0.0.5", "-p", "25060",
        "-U", "shop_user", "-d", "shop db", str(tmp_path / "x.dump")]
    env = client_env(conn)
    assert env["PGSSLMODE"] == "require" and env["PGCONNECT_TIMEOUT"] == "10"
    assert env["PGAPPNAME"] == "dockyard" and "PATH" in env


# -- where the cluster lives ----------------------------------------------------------------------
def test_as_ourselves_everything_stays_in_the_home(tmp_path: Path) -> None:
    layout = Layout.for_home(Home(tmp_path), RunAs())
    assert layout.state == layout.home_dir == tmp_path / "postgres"
    assert layout.data == tmp_path / "postgres" / "data"
    assert layout.superuser_secret.parent == layout.credentials.parent == layout.home_dir
    assert RunAs().prefix() == [] and not RunAs().switches


def test_as_root_the_cluster_lives_outside_the_home_and_the_symlink_remembers_where(
        tmp_path: Path) -> None:
    home = Home(tmp_path / "h1")
    fresh = Layout.for_home(home, RunAs(101, 104))
    assert fresh.home_dir == home.root / "postgres"
    assert fresh.state.parent == Path("/var/lib/dockyard/postgres")
    assert fresh.state != Layout.for_home(Home(tmp_path / "h2"), RunAs(101, 104)).state
    moved = tmp_path / "elsewhere" / "state"
    (home.root / "postgres").mkdir(parents=True)
    (home.root / "postgres" / "data").symlink_to(moved / "data")
    assert Layout.for_home(home, RunAs(101, 104)).state == moved
    assert Layout.for_home(home, RunAs(101, 104), tmp_path / "given").state == tmp_path / "given"


def test_a_socket_path_too_long_for_unix_sockets_means_tcp_only(tmp_path: Path) -> None:
    short = Layout(tmp_path, tmp_path / "s")
    assert short.socket_dir_for(5432) == str(tmp_path / "s" / "run")
    deep = Layout(tmp_path, tmp_path / ("d" * 100))
    assert deep.socket_dir_for(5432) == ""


def test_binaries_come_from_the_override_or_the_version_the_data_was_made_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockyard.databases import layout as layout_module

    libdir = tmp_path / "lib"
    for version in ("9.6", "13", "15"):
        (libdir / version / "bin").mkdir(parents=True)
        (libdir / version / "bin" / "postgres").write_text("")
    (libdir / "16" / "bin").mkdir(parents=True)   # no postgres binary: not a server install
    monkeypatch.setattr(layout_module, "DEBIAN_LIBDIR", libdir)
    monkeypatch.delenv("DOCKYARD_PG_BINDIR", raising=False)
    assert find_bindir() == libdir / "15" / "bin"       # the newest, by number not by text
    data = tmp_path / "data"
    data.mkdir()
    (data / "PG_VERSION").write_text("13\n")
    assert find_bindir(data) == libdir / "13" / "bin"
    (data / "PG_VERSION").write_text("12\n")             # not installed: the newest
    assert find_bindir(data) == libdir / "15" / "bin"
    monkeypatch.setenv("DOCKYARD_PG_BINDIR", str(tmp_path / "mine"))
    assert find_bindir(data) == tmp_path / "mine"


# -- the external cluster registry ---------------------------------------------------------------
@pytest.fixture
def clusters(tmp_path: Path) -> ExternalClusters:
    return ExternalClusters.for_home(Home(tmp_path), SecretBox(tmp_path / "secrets.key"))


def test_the_registry_lives_in_the_homes_postgres_folder(tmp_path: Path,
                                                         clusters: ExternalClusters) -> None:
    assert clusters.path == tmp_path / "postgres" / "clusters.json"
    assert clusters.list() == [] and not clusters.path.exists()


def test_adding_again_replaces_and_removing_forgets(clusters: ExternalClusters) -> None:
    clusters.add("main", "postgres://a:first-pw@h1/d")
    clusters.add("main", "postgres://a:second-pw@h2/d")
    clusters.add("b", "postgres://b:pw-b@h3:6000/x")
    assert clusters.get("main") == "postgres://a:second-pw@h2/d"
    assert [c["name"] for c in clusters.list()] == ["b", "main"]
    clusters.remove("main")
    assert [c["name"] for c in clusters.list()] == ["b"]
    with pytest.raises(NotFound) as err:
        clusters.remove("main")
    assert err.value.message == "no external database cluster named 'main' (known: b)"
    assert "clusters add main --url" in (err.value.hint or "")


def test_no_password_of_any_cluster_is_on_disk_or_in_the_listing(clusters: ExternalClusters):
    urls = {f"c{i}": f"postgres://u:{pw.replace('%', '%25').replace('@', '%40')}@h/d"
            for i, pw in enumerate(["plain-secret", "with@at", "100%sure"])}
    for name, url in urls.items():
        clusters.add(name, url)
    on_disk = clusters.path.read_text()
    listing = json.dumps(clusters.list())
    for secret in ("plain-secret", "with@at", "with%40at", "100%sure", "100%25sure"):
        assert secret not in on_disk and secret not in listing
    assert all(c["url"] == "postgresql://u:***@h:5432/d?sslmode=prefer"
               for c in clusters.list())
    assert stat.S_IMODE(clusters.path.stat().st_mode) == 0o600
    assert {n: clusters.get(n) for n in urls} == urls


@pytest.mark.parametrize("name", ["a", "ab", "prod-pg", "a" + "b" * 31])
def test_cluster_names_that_are_accepted(clusters: ExternalClusters, name: str) -> None:
    clusters.add(name, "postgres://u:p@h/d")
    assert clusters.get(name) == "postgres://u:p@h/d"


@pytest.mark.parametrize("name", ["", "A", "1st", "ends-", "a_b", "a" * 33, "a b", "../x"])
def test_cluster_names_that_are_refused_change_nothing(clusters: ExternalClusters,
                                                       name: str) -> None:
    with pytest.raises(DockyardError) as err:
        clusters.add(name, "postgres://u:p@h/d")
    assert err.value.code == "database.invalid_cluster_name"
    assert not clusters.path.exists()


def test_a_bad_url_is_refused_before_it_is_stored(clusters: ExternalClusters) -> None:
    clusters.add("main", "postgres://u:p@h/d")
    before = clusters.path.read_bytes()
    for url in ("mysql://u:p@h/d", "postgres://u:p@h:bad/d", "postgres:///d"):
        with pytest.raises(DockyardError) as err:
            clusters.add("main", url)
        assert err.value.code == "database.invalid_url"
    assert clusters.path.read_bytes() == before


def test_a_registry_read_with_another_key_fails_instead_of_answering(tmp_path: Path,
                                                                     clusters: ExternalClusters):
    clusters.add("main", "postgres://u:p@h/d")
    other = ExternalClusters(clusters.path, SecretBox(tmp_path / "other.key"))
    with pytest.raises(DockyardError, match="not by this Dockyard installation") as err:
        other.get("main")
    assert "postgres://" not in str(err.value)
