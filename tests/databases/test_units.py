"""Pure parts of dockyard.databases: names, URLs, engines, versions, argv, the cluster registry."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dockyard.databases import Connection, ExternalClusters, PostgresServer, check_engine
from dockyard.databases.connection import check_name, default_name
from dockyard.databases.engines import check_cluster_version, check_version
from dockyard.databases.layout import RunAs
from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.release.secrets import SecretBox


def test_engine_pg_is_accepted() -> None:
    check_engine("db", "PG")


@pytest.mark.parametrize("engine", ["REDIS", "MYSQL", "MONGODB", "VALKEY"])
def test_other_engines_are_refused_naming_component_and_engine(engine: str) -> None:
    with pytest.raises(DockyardError) as err:
        check_engine("cache", engine, index=1)
    assert err.value.code == "database.engine_unsupported"
    assert err.value.message == (f"databases[1] 'cache': engine {engine} is not supported yet "
                                 "by Dockyard (only PG)")


def test_unset_engine_is_refused() -> None:
    with pytest.raises(DockyardError) as err:
        check_engine("db", "UNSET")
    assert err.value.code == "database.engine_unsupported"


def test_newer_version_than_the_server_is_refused_naming_both(tmp_path: Path) -> None:
    server = PostgresServer(Home(tmp_path), 1)
    current = server.version()
    with pytest.raises(DockyardError) as err:
        server.provision("id", "app", "reports", db_name=None, db_user=None, version="99")
    assert err.value.code == "database.version_mismatch"
    assert "'reports'" in err.value.message
    assert "version 99" in err.value.message and f"version {current}" in err.value.message


def test_older_version_runs_on_the_servers_with_a_note() -> None:
    note = check_version("db", "12", "15")
    assert note is not None and "version 12" in note and "PostgreSQL 15" in note
    assert check_version("db", "15", "15") is None and check_version("db", None, "15") is None


def test_production_database_must_match_its_clusters_version() -> None:
    check_cluster_version("db", "15", "main", "15")
    with pytest.raises(DockyardError) as err:
        check_cluster_version("db", "14", "main", "15")
    assert "cluster 'main' runs PostgreSQL 15" in err.value.message


def test_default_names_are_safe_identifiers() -> None:
    assert default_name("my-app", "db") == "my_app_db"
    assert default_name("my-app", "db", suffix="_user") == "my_app_db_user"
    assert default_name("9lives", "Db") == "db_9lives_db"
    long_a = default_name("a" * 40, "x" * 40, suffix="_user")
    long_b = default_name("a" * 40, "y" * 40, suffix="_user")
    assert len(long_a) == 63 and long_a.endswith("_user") and long_a != long_b


@pytest.mark.parametrize("name", ["postgres", "pg_admin", "dockyard", "x" * 64])
def test_user_chosen_names_within_postgres_rules(name: str) -> None:
    with pytest.raises(DockyardError) as err:
        check_name("db", "db_user", name)
    assert err.value.code == "database.invalid_name"


def test_connection_url_bindables_and_repr() -> None:
    conn = Connection("127.0.0.1", 5433, "u", "p@ss/word", "shop")
    assert conn.url == "postgresql://u:p%40ss%2Fword@127.0.0.1:5433/shop"
    binds = conn.bindables()
    assert binds["DATABASE_URL"] == conn.url and binds["PORT"] == "5433"
    assert binds["JDBC_DATABASE_URL"].startswith("jdbc:postgresql://127.0.0.1:5433/shop?user=u")
    assert set(binds) == {"DATABASE_URL", "HOSTNAME", "PORT", "USERNAME", "PASSWORD",
                          "DATABASE", "CA_CERT", "JDBC_DATABASE_URL"}
    assert "p@ss" not in repr(conn) and "p%40ss" not in conn.masked_url
    assert Connection.from_url(conn.url) == Connection("127.0.0.1", 5433, "u", "p@ss/word",
                                                       "shop", "prefer")


def test_program_as_root_drops_to_the_postgres_user(tmp_path: Path) -> None:
    server = PostgresServer(Home(tmp_path / "home"), 6543, state_dir=tmp_path / "state",
                            run_as=RunAs(101, 104))
    prog = server.program()
    assert prog.argv[0].endswith("setpriv")
    assert prog.argv[1:5] == ["--reuid=101", "--regid=104", "--clear-groups", "--"]
    assert prog.argv[5].endswith("/postgres") and prog.stopsignal == "INT"
    assert "listen_addresses=127.0.0.1" in prog.argv and str(tmp_path / "state" / "data") in \
        prog.argv


def test_program_as_ourselves_keeps_everything_in_home(tmp_path: Path) -> None:
    server = PostgresServer(Home(tmp_path), 6543, run_as=RunAs())
    prog = server.program()
    assert prog.argv[0].endswith("/postgres")
    assert prog.argv[prog.argv.index("-D") + 1] == str(tmp_path / "postgres" / "data")
    assert f"unix_socket_directories={tmp_path / 'postgres' / 'run'}" in prog.argv


def test_clusters_keep_urls_encrypted_and_list_them_masked(tmp_path: Path) -> None:
    clusters = ExternalClusters(tmp_path / "clusters.json", SecretBox(tmp_path / "key"))
    url = "postgres://admin:t0p-secret@db.example.com:25060/defaultdb?sslmode=require"
    clusters.add("prod-pg", url)
    assert clusters.get("prod-pg") == url
    assert "t0p-secret" not in (tmp_path / "clusters.json").read_text()
    assert stat.S_IMODE((tmp_path / "clusters.json").stat().st_mode) == 0o600
    assert clusters.list() == [{"name": "prod-pg", "url": "postgresql://admin:***@"
                                "db.example.com:25060/defaultdb?sslmode=require"}]
    with pytest.raises(DockyardError) as err:
        clusters.get("nope")
    assert err.value.code == "database.cluster_not_found" and "prod-pg" in err.value.message
    with pytest.raises(DockyardError):
        clusters.add("Bad Name", url)
    with pytest.raises(DockyardError):
        clusters.add("other", "mysql://x@y/z")
