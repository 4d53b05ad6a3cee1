"""supervisord's configuration, rendered (pure): one program per instance, nothing of the
environment or the command interpolated by supervisord."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from dockyard.paths import Home
from dockyard.runtime.local.supervisor import (
    ProgramSpec,
    command_line,
    quote,
    render_main,
    render_program,
)


def parsed(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "h")


def test_a_program_restarts_forever_and_stops_its_whole_group(home: Home):
    text = render_program(home, ProgramSpec("i-app-web-dep-0", ["python", "-m", "x", "a b"],
                                            cwd="/srv/app", log="/logs/run-web-0.log",
                                            stopwaitsecs=30))
    section = parsed(text)["program:i-app-web-dep-0"]
    assert shlex.split(section["command"]) == ["python", "-m", "x", "a b"]
    assert (section["autorestart"], section["startretries"]) == ("true", "1000000")
    assert (section["stopasgroup"], section["killasgroup"]) == ("true", "true")
    assert (section["stopwaitsecs"], section["startsecs"]) == ("30", "1")
    assert (section["directory"], section["stdout_logfile"]) == ("/srv/app",
                                                                 "/logs/run-web-0.log")
    assert section["redirect_stderr"] == "true" and "environment" not in section


def test_the_default_log_is_under_the_supervisor_folder(home: Home):
    section = parsed(render_program(home, ProgramSpec("api", ["x"])))["program:api"]
    assert section["stdout_logfile"] == str(home.supervisor / "logs" / "api.log")
    assert "directory" not in section


def test_percent_signs_are_doubled_so_supervisord_does_not_interpolate_them():
    assert command_line(["echo", "100%", "$HOME"]) == "echo 100%% '$HOME'"
    assert quote("100% \\o/") == '"100%% \\o/"'          # no escapes: supervisord has none
    assert quote('say "hi" now') == "'say \"hi\" now'"     # the quote it does not hold


def test_environment_values_are_quoted_one_by_one(home: Home):
    text = render_program(home, ProgramSpec("api", ["x"], env={"A": "1,2", "B": 'q"%x'}))
    assert 'environment=A="1,2",B=\'q"%%x\'' in text


def test_the_main_config_listens_on_a_private_socket_and_includes_the_programs(home: Home):
    text = render_main(home, [ProgramSpec("dockyard-api", ["api"])])
    conf = parsed(text)
    assert conf["unix_http_server"]["file"] == str(home.supervisor / "supervisor.sock")
    assert conf["unix_http_server"]["chmod"] == "0700"
    assert conf["include"]["files"] == f"{home.supervisor / 'programs'}/*.conf"
    assert conf["supervisord"]["nodaemon"] == "false"
    assert conf.has_section("program:dockyard-api")
    assert "inet_http_server" not in text  # never a TCP port
