"""``ComponentRecord``: what a deployment stores about each component, and reads back."""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.release.record import ComponentRecord, InstanceRecord, records_of


def record() -> ComponentRecord:
    return ComponentRecord(
        name="web", kind="service", commit="a" * 40, release=Path("/h/releases/d/web"),
        buildpack="python", app_dir=Path("/h/releases/d/web/app"),
        default_run_command="gunicorn app:app", run_env={"VIRTUAL_ENV": "/h/envs/e1"},
        run_path=["/h/envs/e1/bin"], python="3.12.1",
        instances=[InstanceRecord(0, 8001, "i-0"), InstanceRecord(1, 8002, "i-1")])


def test_a_record_survives_the_store_as_json():
    stored = json.loads(json.dumps(record().to_dict()))
    assert stored["release"] == "/h/releases/d/web" and stored["site_dir"] is None
    assert ComponentRecord.from_dict(stored) == record()


def test_records_of_reads_every_component_in_order():
    docs = ComponentRecord("docs", "static_site", "b" * 40, Path("/r/docs"),
                           site_dir=Path("/r/docs/site"))
    back = records_of([record().to_dict(), docs.to_dict()])
    assert [(r.name, r.app_dir, r.site_dir) for r in back] == [
        ("web", Path("/h/releases/d/web/app"), None), ("docs", None, Path("/r/docs/site"))]


def test_records_written_before_they_were_typed_still_read():
    """Earlier versions stored "" for none and a ``venv`` instead of run_env/run_path."""
    old = {"name": "web", "kind": "service", "commit": "", "release": "/r/web",
           "app_dir": "", "site_dir": "", "default_run_command": "", "python": "",
           "venv": "/h/envs/e0", "instances": [{"index": "0", "port": 8001}]}
    back = ComponentRecord.from_dict(old)
    assert (back.app_dir, back.site_dir, back.default_run_command, back.python) == (
        None, None, None, None)
    assert back.run_env == {"VIRTUAL_ENV": "/h/envs/e0"} and back.run_path == ["/h/envs/e0/bin"]
    assert back.instances == [InstanceRecord(0, 8001, "")]


def test_a_typed_run_env_wins_over_an_old_venv_field():
    raw = {**record().to_dict(), "venv": "/elsewhere"}
    assert ComponentRecord.from_dict(raw).run_env == {"VIRTUAL_ENV": "/h/envs/e1"}
