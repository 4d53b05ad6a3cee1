"""Paths the app's user owns (its build cache, its release) are opened without following the
links it could leave there: an instance's sandbox must never bind ``/root`` or
``DOCKYARD_HOME`` because a build planted ``venv -> /root``. Run as root (the links' owners
and the directories' owners are what is judged)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.files import UnsafePath, fd_path, open_path
from dockyard.runtime.local.launchfile import LaunchFile

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="judging owners needs root")
APP_UID = 65534


def resolved(path: Path) -> str:
    fd = open_path(path)
    try:
        return os.readlink(fd_path(fd))
    finally:
        os.close(fd)


def app_owned(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, APP_UID, APP_UID)
    return path


def test_a_link_in_a_directory_the_app_owns_is_refused(tmp_path: Path):
    secret = tmp_path / "secret"
    secret.mkdir()
    cache = app_owned(tmp_path / "cache")
    (cache / "venv").symlink_to(secret)
    with pytest.raises(UnsafePath, match="'venv' is a symbolic link"):
        open_path(cache / "venv")
    with pytest.raises(UnsafePath):
        open_path(cache / "venv" / "bin")          # a link anywhere on the way


def test_a_link_only_root_could_make_is_followed(tmp_path: Path):
    real = tmp_path / "real"
    (real / "bin").mkdir(parents=True)
    (tmp_path / "abs").symlink_to(real)             # root's, in root's 0755 directory
    (tmp_path / "rel").symlink_to("real")
    os.chmod(tmp_path, 0o755)
    assert resolved(tmp_path / "abs" / "bin") == str(real / "bin")
    assert resolved(tmp_path / "rel" / "bin") == str(real / "bin")


def test_in_a_sticky_shared_directory_only_roots_own_links_are_followed(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)                        # as /tmp
    target = tmp_path / "target"
    target.mkdir()
    (shared / "roots").symlink_to(target)
    assert resolved(shared / "roots") == str(target)
    (shared / "theirs").symlink_to(target)
    os.lchown(shared / "theirs", APP_UID, APP_UID)
    with pytest.raises(UnsafePath):
        open_path(shared / "theirs")


def test_a_link_loop_ends(tmp_path: Path):
    os.chmod(tmp_path, 0o755)
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="too many symbolic links"):
        open_path(tmp_path / "a")


CHILD = """
import sys
from pathlib import Path
from dockyard.runtime.local.launch import main
main(["launch", sys.argv[1]])
"""


@pytest.mark.parametrize("planted", ["release", "mount"])
def test_the_launcher_refuses_a_release_or_mount_the_app_pointed_elsewhere(
        tmp_path: Path, planted: str):
    """What a build could leave behind: its release, or its virtualenv in its cache, turned
    into a link to root's files. The instance does not start, and says why."""
    secret = tmp_path / "root-only"
    secret.mkdir()
    (secret / "key").write_text("root's key\n")
    apps = tmp_path / "apps"
    apps.mkdir()
    release = app_owned(apps / "releases") / "r1"
    cache = app_owned(apps / "cache")
    if planted == "release":
        release.symlink_to(secret)
        venv = app_owned(cache / "venv")
    else:
        release.mkdir()
        os.chown(release, APP_UID, APP_UID)
        venv = cache / "venv"
        venv.symlink_to(secret)
    inst = tmp_path / "instance"
    for own in ("home", "upper"):
        app_owned(inst / own)
    launch = LaunchFile(path=inst / "launch.json", command="cat /opt/venv/key", env={
        "PATH": "/usr/bin:/bin"}, release=str(release), instance=str(inst), files="overlay",
        record_starts=False, user={"name": "nobody", "uid": APP_UID, "gid": APP_UID},
        mounts=[[str(venv), "/opt/venv", False]])
    launch.write()
    res = subprocess.run([sys.executable, "-c", CHILD, str(launch.path)], capture_output=True,
                         text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                             sys.path)})
    assert res.returncode == 126, (res.stdout, res.stderr)
    assert "refusing to start" in res.stderr and "is a symbolic link" in res.stderr
    assert "root's key" not in res.stdout + res.stderr
