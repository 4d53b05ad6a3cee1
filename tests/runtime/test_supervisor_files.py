"""supervisord's program files without supervisord: what ``check_program`` refuses (and how
it says so), which files supervisord's own parser accepts, files set aside before a start,
and the small process helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.errors import DockyardError
from dockyard.paths import Home
from dockyard.runtime.local import leftovers
from dockyard.runtime.local.supervisor import (
    ProgramSpec,
    Supervisor,
    alive,
    check_program,
    program_file_ok,
    render_program,
    wait_until,
)


@pytest.fixture
def sup(tmp_path: Path) -> Supervisor:
    sup = Supervisor(Home(tmp_path / "h"))
    sup.programs_dir.mkdir(parents=True)
    (sup.home.supervisor / "logs").mkdir()   # supervisord refuses a log in a missing folder
    return sup


@pytest.mark.parametrize(("prog", "says"), [
    (ProgramSpec("web\n[program:evil]", ["x"]), "supervisord program name 'web\\n[program:evil]'"),
    (ProgramSpec("-starts-with-dash", ["x"]), "expected letters, digits and ._-"),
    (ProgramSpec("x" * 201, ["x"]), "at most 200"),
    (ProgramSpec("web", ["echo", "a\nb"]), "web: a value holds a control character"),
    (ProgramSpec("web", ["x"], cwd="/srv\r"), "a value holds a control character"),
    (ProgramSpec("web", ["x"], env={"OK": "1\n2"}), "a value holds a control character"),
    (ProgramSpec("web", ["x"], env={"BAD-KEY": "1"}), "bad variable 'BAD-KEY'"),
])
def test_a_program_that_would_break_the_config_is_refused_saying_why(prog: ProgramSpec,
                                                                    says: str, tmp_path: Path):
    with pytest.raises(DockyardError) as err:
        render_program(Home(tmp_path), prog)
    assert says in err.value.message and err.value.code == "runtime.bad_program"


def test_ordinary_values_pass_and_a_tab_does_not():
    check_program(ProgramSpec("i-3f2a9c1e-web-dep00001-0", ["python", "-m", "x", "a b; c"],
                              cwd="/srv/app", env={"A_1": "quotes \" and % and \\ are fine"}))
    with pytest.raises(DockyardError, match="control character"):
        check_program(ProgramSpec("web", ["x"], env={"A": "a\tb"}))


def environment_seen_by_supervisord(sup: Supervisor, env: dict[str, str]) -> dict[str, str]:
    from supervisor.options import ServerOptions, UnhosedConfigParser

    parser = UnhosedConfigParser()
    parser.read_string(render_program(sup.home, ProgramSpec("web-0", ["/bin/true"], env=env)))
    options = ServerOptions()
    options.here = str(sup.programs_dir)
    (group,) = options.process_groups_from_parser(parser)
    return dict(group.process_configs[0].environment)


ODD_VALUES = {"COMMA": "a,b", "PCT": "100%", "BACKSLASH": "C:\\dir\\x", "EMPTY": "",
              "DQ": 'say "hi" now', "SQ": "it's", "EQ": "k=v", "HASH": "a#b;c", "SP": " x "}


def test_every_value_reaches_supervisord_unchanged(sup: Supervisor):
    # rendered by us, parsed by supervisord's own code: what the program will get
    assert environment_seen_by_supervisord(sup, ODD_VALUES) == ODD_VALUES


@pytest.mark.parametrize("value", ['"quoted"', "'quoted'", "both ' and \"", 'ends"'])
def test_a_value_supervisord_cannot_carry_is_refused_by_name(value: str, tmp_path: Path):
    with pytest.raises(DockyardError, match="the value of TOKEN starts or ends with a quote"):
        check_program(ProgramSpec("web", ["x"], env={"OK": "1", "TOKEN": value}))


@pytest.mark.parametrize("prog", [ProgramSpec("web", ["x"], env={"A": "one ;two"}),
                                  ProgramSpec("web", ["echo", "a ;b"]),
                                  ProgramSpec("web", ["x"], cwd="/srv/my #1")])
def test_a_value_supervisord_would_cut_at_a_comment_is_refused(prog: ProgramSpec):
    with pytest.raises(DockyardError, match="' ;' or ' #'"):
        check_program(prog)


def test_separate_arguments_that_only_look_like_a_comment_pass(sup: Supervisor):
    path = sup.programs_dir / "web-0.conf"
    path.write_text(render_program(sup.home, ProgramSpec("web-0", ["echo", "a", "#b", ";c"])))
    assert program_file_ok(path)


def test_a_rendered_program_is_read_by_supervisord_as_itself(sup: Supervisor):
    path = sup.programs_dir / "web-0.conf"
    path.write_text(render_program(sup.home, ProgramSpec("web-0", ["/bin/true"],
                                                         env={"A": "1,2", "B": 'q"%'})))
    assert program_file_ok(path)
    (sup.home.supervisor / "logs").rmdir()
    assert not program_file_ok(path)          # its log folder is gone: supervisord says no


@pytest.mark.parametrize(("name", "text"), [
    ("broken.conf", "[program:broken]\ncommand\n=\n[[\n"),
    ("other.conf", "[program:someone-else]\ncommand=/bin/true\n"),   # not the name it says
    ("two.conf", "[program:two]\ncommand=/bin/true\n[program:three]\ncommand=/bin/true\n"),
    ("empty.conf", ""),
    ("bad name!.conf", "[program:bad name!]\ncommand=/bin/true\n"),
])
def test_files_supervisord_would_refuse_are_recognised(sup: Supervisor, name: str, text: str):
    path = sup.programs_dir / name
    path.write_text(text)
    assert not program_file_ok(path)


def test_bad_files_are_moved_aside_and_good_ones_stay(sup: Supervisor):
    good = sup.programs_dir / "web-0.conf"
    good.write_text(render_program(sup.home, ProgramSpec("web-0", ["/bin/true"])))
    (sup.programs_dir / "broken.conf").write_text("[program:broken]\ncommand\n=\n[[\n")
    (sup.programs_dir / "other.conf").write_text("[program:someone-else]\ncommand=/bin/true\n")
    moved = sup.quarantine_bad_programs()
    assert sorted(moved) == ["broken.conf", "other.conf"]
    assert sup.program_names() == ["web-0"]
    kept = sorted(p.read_text() for p in (sup.home.supervisor / "quarantine").iterdir())
    assert len(kept) == 2 and "someone-else" in kept[1]
    assert sup.quarantine_bad_programs() == []


def test_without_a_pid_file_there_is_no_supervisord(sup: Supervisor):
    assert sup.pid() is None and not sup.running()
    sup.pidfile.write_text("not a number\n")
    assert sup.pid() is None
    sup.shutdown()                                   # nothing to stop: returns at once


def test_write_config_makes_the_folders_and_replaces_the_file(sup: Supervisor):
    sup.write_config([ProgramSpec("dockyard-api", ["api"])])
    assert "[program:dockyard-api]" in sup.conf.read_text()
    assert (sup.home.supervisor / "logs").is_dir()
    assert not sup.conf.with_suffix(".tmp").exists()


def test_alive_tells_a_running_child_from_a_finished_one():
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)
    assert alive(proc.pid)
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait()
    assert not alive(proc.pid)
    assert alive(os.getpid())


def test_wait_until_names_what_it_waited_for():
    wait_until(lambda: True, 1, "nothing")
    with pytest.raises(DockyardError, match="timed out after 0 s waiting for the moon"):
        wait_until(lambda: False, 0.05, "the moon", interval=0.01)


def test_leftovers_are_recognised_by_the_home_on_their_command_line(tmp_path: Path):
    home = Home(tmp_path / "h")
    marks = leftovers.marks(home)
    assert str(home.root) in marks and f"DOCKYARD_HOME={home.root}" in marks
    (home.root / "postgres").mkdir(parents=True)
    data = tmp_path / "pgdata"
    data.mkdir()
    (home.root / "postgres" / "data").symlink_to(data)
    assert str(data) in leftovers.marks(home)                 # the resolved data folder
    assert leftovers.find(home) == [] and leftovers.stop(home) == []  # no pid file: nothing
