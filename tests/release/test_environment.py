"""The environment of a build and of an instance: scopes, overrides, secrets, the platform's
own variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dockyard.appspec import parse_spec_data
from dockyard.release.bindings import Bindings
from dockyard.release.environment import SYSTEM_PATH, build_env, run_env
from dockyard.release.record import ComponentRecord

SOURCE = {"git": {"repo_clone_url": "/srv/app.git"}}


def parsed(app_envs: list[dict[str, Any]], web_envs: list[dict[str, Any]]) -> Any:
    return parse_spec_data({"name": "shop", "envs": app_envs, "services": [
        {"name": "web", **SOURCE, "envs": web_envs}]}).spec


def record(**fields: Any) -> ComponentRecord:
    return ComponentRecord("web", "service", "c" * 40, Path("/r/web"), **fields)


def run(spec: Any, port: int | None = 8080, **fields: Any) -> tuple[dict[str, str], list[str]]:
    return run_env(spec, spec.component("web"), bindings=Bindings(app={"APP_URL": "http://x"}),
                   port=port, build=record(**fields))


def test_component_values_replace_app_values_with_the_same_key():
    spec = parsed([{"key": "MODE", "value": "app"}, {"key": "LEVEL", "value": "info"}],
                  [{"key": "MODE", "value": "web"}])
    env, keys = run(spec)
    assert (env["MODE"], env["LEVEL"]) == ("web", "info") and keys == ["LEVEL", "MODE"]


def test_scopes_decide_what_the_build_and_the_run_see():
    spec = parsed([{"key": "BOTH", "value": "1"},
                   {"key": "BUILD_ONLY", "value": "2", "scope": "BUILD_TIME"},
                   {"key": "RUN_ONLY", "value": "3", "scope": "RUN_TIME"}], [])
    assert set(build_env(spec, spec.component("web"))) == {"BOTH", "BUILD_ONLY"}
    env, keys = run(spec)
    assert keys == ["BOTH", "RUN_ONLY"] and "BUILD_ONLY" not in env


def test_secrets_are_revealed_and_bindables_resolved():
    spec = parsed([{"key": "TOKEN", "type": "SECRET", "value": "EV[1:dky-00000000:abc]"}],
                  [{"key": "URL", "value": "${APP_URL}/hook"}])
    env, _ = run_env(spec, spec.component("web"), bindings=Bindings(app={"APP_URL": "http://x"}),
                     port=None, build=record(), reveal=lambda v: "revealed:" + v[-4:])
    assert env["TOKEN"] == "revealed:abc]" and env["URL"] == "http://x/hook"


def test_every_instance_gets_its_own_port_whatever_the_spec_says():
    spec = parsed([{"key": "PORT", "value": "9999"}], [])
    env, _ = run(spec, port=8080)
    assert env["PORT"] == "8080"
    assert env["GUNICORN_CMD_ARGS"] == "--bind 127.0.0.1:8080 --access-logfile -"


def test_workers_and_jobs_get_no_port():
    env, _ = run(parsed([], []), port=None)
    assert "PORT" not in env and "GUNICORN_CMD_ARGS" not in env


def test_the_builds_environment_comes_first_on_path(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("UV_CACHE_DIR", "/root/.cache/uv")
    env, _ = run(parsed([], []), run_env={"VIRTUAL_ENV": "/envs/e1"}, run_path=["/envs/e1/bin"])
    assert env["PATH"] == f"/envs/e1/bin:{SYSTEM_PATH}" and env["VIRTUAL_ENV"] == "/envs/e1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert "HOME" not in env and "UV_CACHE_DIR" not in env  # the runtime gives its own HOME


def test_our_own_environment_never_leaks_into_an_instance(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKYARD_TOKEN", "dky_admin_token")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "nope")
    env, _ = run(parsed([], []))
    assert "DOCKYARD_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
