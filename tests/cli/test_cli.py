"""The ``dockyard`` CLI as a user runs it: a subprocess, real server, real files."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.conftest import EXAMPLE, Dockyard

EXAMPLE_SPEC = str(EXAMPLE / "config" / "app.yaml")


def static_spec(name: str) -> str:
    return (f"# my app\nname: {name}\nstatic_sites:\n  - name: site  # the site\n"
            "    git:\n      repo_clone_url: https://example.invalid/r.git\n"
            "      branch: main\n    routes:\n      - path: /\n")


def write(tmp_path: Path, text: str, name: str = "app.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_help_lists_the_command_groups(tmp_path: Path):
    out = Dockyard(tmp_path).cli("--help").out
    for word in ("up", "down", "status", "apps", "tokens"):
        assert word in out


def test_spec_validate_works_without_a_server(tmp_path: Path):
    result = Dockyard(tmp_path / "nohome").cli("apps", "spec", "validate", EXAMPLE_SPEC)
    assert "name: profileapp" in result.out
    assert not (tmp_path / "nohome").exists()


def test_spec_validate_reads_stdin(tmp_path: Path):
    result = Dockyard(tmp_path).cli("apps", "spec", "validate", "-",
                                    input=static_spec("from-stdin"))
    assert "from-stdin" in result.out


def test_spec_validate_names_file_line_and_field(tmp_path: Path):
    text = static_spec("good-name").replace("- path: /", "- path: nope")
    path = write(tmp_path, text)
    result = Dockyard(tmp_path).cli("apps", "spec", "validate", path, check=False)
    assert result.code == 1
    assert path in result.err
    assert "static_sites[0].routes[0].path" in result.err
    assert ":9:" in result.err  # the line of the bad path
    assert result.err.startswith(" !     ")


def test_spec_validate_reports_every_error_at_once(tmp_path: Path):
    text = static_spec("Bad_Name").replace("- path: /", "- path: nope").replace(
        "branch: main", "branch: main\n      colour: blue")
    result = Dockyard(tmp_path).cli("apps", "spec", "validate", write(tmp_path, text),
                                    check=False)
    assert result.code == 1
    for field in ("name", "static_sites[0].routes[0].path", "static_sites[0].git.colour"):
        assert field in result.err


def test_commands_need_a_running_server(tmp_path: Path):
    result = Dockyard(tmp_path).cli("apps", "list", check=False)
    assert result.code == 1
    assert "dockyard up" in result.err


def test_up_is_idempotent(dockyard: Dockyard):
    before = dockyard.status
    dockyard.cli("up")
    after = dockyard.status
    assert after["api_url"] == before["api_url"]
    assert after["supervisord_pid"] == before["supervisord_pid"]
    assert after["running"]["api"] is True


def test_status_json_has_api_url_ca_and_parts(dockyard: Dockyard):
    state = dockyard.status
    assert state["api_url"].startswith("https://127.0.0.1:")
    assert Path(state["ca_cert"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert state["running"]["supervisord"] and state["running"]["api"]


def test_secret_files_are_private(dockyard: Dockyard):
    for name in ("admin.token", "tls/ca-key.pem", "tls/server-key.pem"):
        assert (dockyard.home / name).stat().st_mode & 0o077 == 0, name


def test_tokens_create_prints_the_token_once(dockyard: Dockyard):
    name = f"t-{uuid.uuid4().hex[:6]}"
    created = dockyard.cli("tokens", "create", name, "--output", "json").json()
    assert set(created) >= {"name", "token"} and created["name"] == name
    listed = dockyard.cli("tokens", "list", "--output", "json").out
    assert name in listed and created["token"] not in listed
    assert dockyard.request("GET", "/v2/apps", token=created["token"]).status == 200


def test_apps_create_list_get_update_delete(dockyard: Dockyard, tmp_path: Path):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    spec = write(tmp_path, static_spec(name))
    created = dockyard.cli("apps", "create", "--spec", spec, "--output", "json").json()[0]
    assert created["spec"]["name"] == name

    listed = dockyard.cli("apps", "list", "--format", "ID,Spec.Name", "--no-header").out
    assert f"{created['id']}    {name}" in listed
    table = dockyard.cli("apps", "list").out
    assert table.splitlines()[0].split()[:3] == ["ID", "Spec", "Name"]

    got = dockyard.cli("apps", "get", name, "--output", "json").json()[0]
    assert got["id"] == created["id"]

    updated_text = static_spec(name).replace("name: site", "name: website")
    dockyard.cli("apps", "update", name, "--spec", write(tmp_path, updated_text, "b.yaml"))
    yaml_out = dockyard.cli("apps", "spec", "get", name).out
    assert "website  # the site" in yaml_out and yaml_out.startswith("# my app")
    as_json = json.loads(dockyard.cli("apps", "spec", "get", name, "--format", "json").out)
    assert as_json["static_sites"][0]["name"] == "website"

    refused = dockyard.cli("apps", "delete", name, check=False)
    assert refused.code == 1 and "--force" in refused.err
    dockyard.cli("apps", "delete", name, "--force")
    gone = dockyard.cli("apps", "get", name, check=False)
    assert gone.code == 1 and "not found" in gone.err


def test_apps_create_upsert_updates_an_existing_app(dockyard: Dockyard, tmp_path: Path):
    name = f"ups-{uuid.uuid4().hex[:6]}"
    spec = write(tmp_path, static_spec(name))
    first = dockyard.cli("apps", "create", "--spec", spec, "--output", "json").json()[0]
    dup = dockyard.cli("apps", "create", "--spec", spec, check=False)
    assert dup.code == 1 and "already exists" in dup.err
    again = dockyard.cli("apps", "create", "--spec", spec, "--upsert", "--output",
                         "json").json()[0]
    assert again["id"] == first["id"]
    assert again["dockyard"]["spec_version"] == 2


def test_apps_propose_validates_on_the_server(dockyard: Dockyard, tmp_path: Path):
    out = dockyard.cli("apps", "propose", "--spec", EXAMPLE_SPEC, "--output", "json").json()
    assert out["spec"]["name"] == "profileapp"
    assert any("region" in note for note in out["notes"])


def test_bad_spec_changes_nothing(dockyard: Dockyard, tmp_path: Path):
    before = dockyard.cli("apps", "list", "--output", "json").json()
    bad = write(tmp_path, static_spec("x"))
    result = dockyard.cli("apps", "create", "--spec", bad, check=False)
    assert result.code == 1 and "name" in result.err
    assert dockyard.cli("apps", "list", "--output", "json").json() == before
