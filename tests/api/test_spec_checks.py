"""Checks the server makes when a spec is submitted, before anything is built: foreign
secrets (named by their key), PostgreSQL versions, components that will not deploy."""

from __future__ import annotations

import uuid

from tests.conftest import Dockyard

REPO = {"repo_clone_url": "https://example.invalid/r.git", "branch": "main"}
DO_SECRET = "EV[1:abcdefgh-1234:bm90IG91cnM=]"  # DigitalOcean's shape, not our key


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def site(app: str, **extra: object) -> dict:
    return {"name": app, "static_sites": [{"name": "site", "git": REPO,
                                           "routes": [{"path": "/"}]}], **extra}


def test_a_foreign_secret_is_refused_naming_its_key(dockyard: Dockyard) -> None:
    spec = site(name("ev"), envs=[{"key": "PLAIN", "value": "x"},
                                  {"key": "STRIPE_KEY", "value": DO_SECRET, "type": "SECRET"}])
    for path in ("/v2/apps/propose", "/v2/apps"):
        resp = dockyard.request("POST", path, {"spec": spec})
        assert resp.status == 422, resp.body
        assert "STRIPE_KEY: this SECRET value is encrypted (EV[…]) but not by this " \
               "Dockyard installation" in resp.body["message"]
        assert [e["path"] for e in resp.body["errors"]] == ["envs[1].value"]
        assert DO_SECRET not in resp.body["message"]


def test_a_dev_database_newer_than_the_server_is_refused_an_older_one_noted(
        dockyard: Dockyard) -> None:
    newer = site(name("pg"), databases=[{"name": "db", "engine": "PG", "version": "99"}])
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": newer})
    assert resp.status == 422
    assert resp.body["errors"][0]["path"] == "databases[0].version"
    assert "version 99 was requested, but Dockyard's PostgreSQL server is version" in \
        resp.body["message"]
    older = site(name("pg"), databases=[{"name": "db", "engine": "PG", "version": "9"}])
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": older})
    assert resp.status == 200, resp.body
    assert any("version 9 was requested; it runs on PostgreSQL" in n
               for n in resp.body["notes"])


def test_create_refuses_undeployable_components_unless_asked_to_deploy_the_rest(
        dockyard: Dockyard) -> None:
    app = name("img")
    # a DOCR image, and this installation was not told which DigitalOcean registry is its own
    spec = {**site(app), "services": [{"name": "api", "image": {
        "registry_type": "DOCR", "repository": "api", "tag": "latest"}}]}
    resp = dockyard.request("POST", "/v2/apps", {"spec": spec})
    assert resp.status == 422 and resp.body["code"] == "spec.undeployable"
    assert [e["path"] for e in resp.body["errors"]] == ["services[0].image"]
    assert "docr_registry" in resp.body["message"]
    assert "--skip-undeployable" in resp.body["message"]
    listed = dockyard.request("GET", "/v2/apps?per_page=200").body["apps"]
    assert all(a["spec"]["name"] != app for a in listed), "a refused spec creates nothing"
    resp = dockyard.request("POST", "/v2/apps", {"spec": spec, "skip_undeployable": True})
    assert resp.status == 200 and resp.body["app"]["spec"]["name"] == app


def test_a_read_only_token_proposes_without_the_server_fetching_repositories(
        dockyard: Dockyard) -> None:
    token = dockyard.cli("tokens", "create", name("ro"), "--read-only", "-o", "json").json()
    value = token["token"] if isinstance(token, dict) else token[0]["token"]
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": site(name("ro"))},
                            token=value)
    assert resp.status == 200 and resp.body["builds"] == []
    resp = dockyard.request("POST", "/v2/apps/propose", {"spec": site(name("rw"))})
    assert resp.status == 200
    assert any("not checked before the build: could not look into" in n
               for n in resp.body["notes"])
