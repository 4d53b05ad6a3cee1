"""A program file supervisord refuses never stops supervisord, its next start, or a deploy:
it is moved aside to ``supervisor/quarantine/`` (defect 1 of the hardening issue)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.control import supervisor_env
from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.runtime.local.supervisor import ProgramSpec, Supervisor, program_file_ok

pytestmark = pytest.mark.slow
BAD = {"web\n-1.conf": "[program:web\n-1]\ncommand=/bin/true\n",
       "broken.conf": "[program:broken]\ncommand\n=\n[[\n",
       "other.conf": "[program:someone-else]\ncommand=/bin/true\n"}


@pytest.fixture
def sup() -> Iterator[Supervisor]:
    root = Path(tempfile.mkdtemp(prefix="dyq-"))  # short: supervisord's socket path is limited
    sup = Supervisor(Home(root / "h").ensure())
    sup.write_config([])
    yield sup
    sup.shutdown()
    shutil.rmtree(root, ignore_errors=True)


def write_bad(sup: Supervisor) -> None:
    for name, text in BAD.items():
        (sup.programs_dir / name).write_text(text)


def test_a_good_program_file_is_read_as_itself(sup: Supervisor, tmp_path: Path) -> None:
    sup.add([])  # nothing running: only renders
    from dockyard.runtime.local.supervisor import render_program
    path = sup.programs_dir / "app-1.conf"
    path.write_text(render_program(sup.home, ProgramSpec("app-1", ["/bin/sleep", "1"])))
    assert program_file_ok(path)
    write_bad(sup)
    assert [n for n in BAD if program_file_ok(sup.programs_dir / n)] == []


def test_supervisord_refuses_to_start_with_a_bad_file_unless_it_is_moved_aside(
        sup: Supervisor) -> None:
    write_bad(sup)
    with pytest.raises(DockyardError, match="supervisord did not start"):
        sup.start(supervisor_env(sup.home))  # the positive control: this is what bricked `up`
    assert sorted(sup.quarantine_bad_programs()) == sorted(BAD)
    sup.start(supervisor_env(sup.home))
    assert sup.running()
    assert len(list((sup.home.supervisor / "quarantine").iterdir())) == len(BAD)


def test_a_bad_file_appearing_later_does_not_fail_the_next_update(sup: Supervisor) -> None:
    sup.start(supervisor_env(sup.home))
    write_bad(sup)
    sup.add([ProgramSpec("app-2", ["/bin/sleep", "300"])])
    assert sup.program_names() == ["app-2"]
    state = sup.rpc().supervisor.getProcessInfo("app-2:app-2")["statename"]
    assert state in {"STARTING", "RUNNING"}
