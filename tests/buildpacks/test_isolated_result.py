"""What a sandboxed build says it made (``release.json``, written as the app's user, so a
``build_command`` can rewrite it) may name only the app's own release and build cache and the
host's interpreters: everything it names is mounted into the app's instances."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.buildpacks.isolated import BuildJail, confined, result_of
from dockyard.buildpacks.types import BuildRequest, BuildSettings
from dockyard.errors import DockyardError
from dockyard.isolation.users import AppUser
from dockyard.paths import Home

USER = AppUser("dky-test", 200_900, 200_900)
PYTHON = Path("/opt/pythons/3.12.4/bin/python3")


def request(tmp_path: Path, answer: dict[str, object]) -> tuple[BuildRequest, BuildJail]:
    app = tmp_path / "apps" / "a1"
    release = app / "releases" / "d1" / "web"
    (release / "app").mkdir(parents=True)
    (release / "release.json").write_text(json.dumps(answer))
    req = BuildRequest(component="web", kind="service", src=app / "work", release=release,
                       env={}, home=Home(app),
                       settings=BuildSettings(python_candidates=(PYTHON,)))
    return req, BuildJail(USER, app / "cache")


def honest(tmp_path: Path) -> dict[str, object]:
    app = tmp_path / "apps" / "a1"
    return {"buildpack": "python", "release": str(app / "releases" / "d1" / "web"),
            "app_dir": str(app / "releases" / "d1" / "web" / "app"), "site_dir": None,
            "python": "3.12.4", "venv": str(app / "cache" / "builds" / "envs" / "abc"),
            "env_cache_hit": True, "default_run_command": "gunicorn app:app",
            "interpreter": str(PYTHON), "caches": [str(app / "cache" / "node" / "x")]}


def test_an_honest_answer_is_kept(tmp_path: Path):
    req, jail = request(tmp_path, honest(tmp_path))
    result = confined(req, jail, result_of(req))
    assert result.run_mounts == [honest(tmp_path)["venv"], "/opt/pythons/3.12.4",
                                 *honest(tmp_path)["caches"]]  # type: ignore[misc]


@pytest.mark.parametrize(("key", "value"), [
    ("venv", "/root"),
    ("venv", "{app}/cache/../../../../dockyard.db"),
    ("app_dir", "/"),
    ("site_dir", "{app}/cache"),
    ("interpreter", "/root/.local/bin/python3"),
    ("caches", ["{app}/../a2/cache/node"]),
])
def test_an_answer_naming_anything_else_fails_the_build(tmp_path: Path, key: str,
                                                        value: object):
    app = str(tmp_path / "apps" / "a1")
    answer = honest(tmp_path)
    answer[key] = [v.format(app=app) for v in value] if isinstance(value, list) \
        else str(value).format(app=app)
    req, jail = request(tmp_path, answer)
    with pytest.raises(DockyardError, match="outside its release and build cache") as err:
        confined(req, jail, result_of(req))
    assert err.value.code == "build.outside_paths"


@pytest.mark.parametrize("key", ["app_dir", "site_dir"])
def test_a_release_folder_that_is_a_link_fails_the_build(tmp_path: Path, key: str):
    """``release/app -> /etc``: root would hand /etc to the app's user and mount it."""
    answer = honest(tmp_path)
    req, jail = request(tmp_path, answer)
    (req.release / "site").symlink_to("/etc")
    (req.release / "app").rmdir()
    (req.release / "app").symlink_to("/etc")
    answer[key] = str(req.release / key.removesuffix("_dir"))
    (req.release / "release.json").write_text(json.dumps(answer))
    with pytest.raises(DockyardError, match="not a folder of its own"):
        confined(req, jail, result_of(req))


def test_a_release_json_that_is_a_link_is_never_read(tmp_path: Path):
    req, _jail = request(tmp_path, honest(tmp_path))
    elsewhere = tmp_path / "root-only.json"
    elsewhere.write_text(json.dumps({**honest(tmp_path), "default_run_command": "secret"}))
    (req.release / "release.json").unlink()
    (req.release / "release.json").symlink_to(elsewhere)
    with pytest.raises(OSError):
        result_of(req)


def test_without_a_sandbox_the_answer_is_dockyards_own(tmp_path: Path):
    answer = {**honest(tmp_path), "venv": "/srv/shared-venv"}
    req, jail = request(tmp_path, answer)
    unsandboxed = BuildJail(None, jail.cache)
    assert confined(req, unsandboxed, result_of(req)).venv == Path("/srv/shared-venv")
