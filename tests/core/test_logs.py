"""Logs: one vocabulary (``-----> ``, seven spaces, `` !     ``) and secrets masked."""

from __future__ import annotations

import io
from pathlib import Path

from dockyard.logs import Log, null_log, timestamp


def test_steps_children_and_errors_have_their_prefixes(tmp_path: Path):
    echo = io.StringIO()
    log = Log(tmp_path / "logs" / "deploy.log", echo=echo)
    log.step("Building")
    log.child("Collecting gunicorn")
    log.error("first line\nsecond line")
    log.close()
    expected = ["-----> Building", "       Collecting gunicorn", " !     first line",
                " !     second line"]
    assert (tmp_path / "logs" / "deploy.log").read_text().splitlines() == expected
    assert echo.getvalue().splitlines() == expected


def test_secrets_are_masked_longest_first(tmp_path: Path):
    log = Log(tmp_path / "a.log", secrets=["abc", "abcdef", "", "xy"])
    log.child("token abcdef and abc and xy")
    log.add_secrets(["late-secret"])
    log.child("then late-secret")
    log.close()
    assert (tmp_path / "a.log").read_text().splitlines() == [
        "       token *** and *** and xy", "       then ***"]  # two-letter values stay


def test_a_log_appends_to_what_is_there(tmp_path: Path):
    for text in ("one", "two"):
        log = Log(tmp_path / "a.log")
        log.step(text)
        log.close()
    assert (tmp_path / "a.log").read_text() == "-----> one\n-----> two\n"


def test_a_closed_or_null_log_writes_nowhere(tmp_path: Path):
    log = Log(tmp_path / "a.log")
    log.close()
    log.step("after close")
    null_log().step("nowhere")
    assert (tmp_path / "a.log").read_text() == ""


def test_timestamps_are_rfc3339_utc_seconds():
    stamp = timestamp()
    assert len(stamp) == 20 and stamp[10] == "T" and stamp.endswith("Z")
