"""What a release image's environment gets from the build: the venv's, or what another
buildpack adds (NODE_ENV, node_modules/.bin), before the system's PATH."""

from __future__ import annotations

from pathlib import Path

from dockyard.buildpacks.images import SYSTEM_PATH, ReleaseFiles, env_config


def pairs(flags: list[str]) -> dict[str, str]:
    assert flags[::2] == ["--env"] * (len(flags) // 2)
    return dict(value.split("=", 1) for value in flags[1::2])


def test_a_python_release_runs_with_its_virtualenv_first() -> None:
    env = pairs(env_config(ReleaseFiles(venv=Path("/envs/abc"))))
    assert env == {"VIRTUAL_ENV": "/envs/abc", "PATH": f"/envs/abc/bin:{SYSTEM_PATH}"}


def test_what_another_buildpack_adds_goes_into_the_image() -> None:
    files = ReleaseFiles(env={"NODE_ENV": "production"},
                         path=("/cache/node_modules/.bin",),
                         mounts=(Path("/cache/node_modules"),))
    env = pairs(env_config(files))
    assert env == {"NODE_ENV": "production",
                   "PATH": f"/cache/node_modules/.bin:{SYSTEM_PATH}"}


def test_a_static_site_gets_no_environment() -> None:
    assert env_config(ReleaseFiles(site_dir=Path("/r/site"))) == []
