"""One system user per app: its name, its uid in Dockyard's range, made once, found again
by installation, and removed with the app. The last tests make a real user (root only)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.isolation import users
from dockyard.isolation.users import UID_FIRST, UID_LAST, user_name


def test_the_name_is_short_stable_and_taken_from_the_app_id():
    app_id = "0f3c2a9e-51b7-4c1d-9a3e-7b2f10c4d5e6"
    assert user_name(app_id) == "dky-0f3c2a9e51b7"
    assert user_name(app_id) == user_name(app_id)
    assert user_name(app_id) != user_name("0f3c2a9e-51b8-4c1d-9a3e-7b2f10c4d5e6")
    assert len(user_name(app_id)) <= 32                # useradd's limit


def test_an_unknown_app_has_no_user():
    assert users.find(str(uuid.uuid4())) is None
    users.remove(str(uuid.uuid4()))                     # nothing to remove: no error


def test_the_next_free_uid_is_in_range_and_not_taken_by_a_user_or_a_group():
    uid = users.next_free_uid()
    assert UID_FIRST <= uid <= UID_LAST
    taken = {e.pw_uid for e in pwd.getpwall()} | {g.gr_gid for g in grp.getgrall()}
    assert uid not in taken


def test_a_failure_names_the_app_and_what_useradd_said():
    res = subprocess.CompletedProcess(["useradd"], 1, "", "useradd: cannot lock /etc/passwd\n")
    err = users.failure("shop", res)
    assert err.message == "could not create the user of app shop: useradd: cannot lock " \
                          "/etc/passwd"
    assert err.code == "isolation.user_failed" and "root" in (err.hint or "")


def test_an_installation_finds_none_of_the_users_it_did_not_make(tmp_path: Path):
    assert users.of_installation(tmp_path / "never-used") == []


can_add_users = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                                   reason="making users needs root and useradd")


@pytest.fixture
def app_id(tmp_path: Path) -> Iterator[str]:
    app_id = str(uuid.uuid4())
    yield app_id
    name = user_name(app_id)
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


@can_add_users
def test_a_user_is_made_once_with_its_own_group_and_found_by_installation(
        tmp_path: Path, app_id: str):
    home = tmp_path / "home"
    made = users.ensure(app_id, "shop", home)
    assert made.name == user_name(app_id) and made.gid == made.uid
    assert UID_FIRST <= made.uid <= UID_LAST
    entry = pwd.getpwnam(made.name)
    assert (entry.pw_shell, entry.pw_dir) == ("/usr/sbin/nologin", "/nonexistent")
    assert entry.pw_gecos == f"Dockyard app shop ({home})"
    assert grp.getgrgid(made.gid).gr_name == made.name
    assert users.ensure(app_id, "shop", home) == made     # idempotent
    assert users.find(app_id) == made
    assert users.of_installation(home) == [made.name]
    assert users.of_installation(tmp_path / "other-home") == []


@can_add_users
def test_removing_the_user_removes_its_group(tmp_path: Path, app_id: str):
    made = users.ensure(app_id, "shop", tmp_path / "home")
    users.remove(app_id)
    assert users.find(app_id) is None
    with pytest.raises(KeyError):
        grp.getgrnam(made.name)
    users.remove(app_id)                                # gone already: no error


@can_add_users
def test_two_apps_get_two_uids(tmp_path: Path, app_id: str):
    other = str(uuid.uuid4())
    try:
        first = users.ensure(app_id, "one", tmp_path)
        second = users.ensure(other, "two", tmp_path)
        assert first.uid != second.uid and first.name != second.name
    finally:
        users.remove(other)


def test_no_free_uid_is_an_error_naming_the_range(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(users, "UID_LAST", users.UID_FIRST - 1)   # an empty range
    with pytest.raises(DockyardError, match=f"every uid in {UID_FIRST}-"):
        users.next_free_uid()
