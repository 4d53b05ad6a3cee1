"""Python version requests, interpreter discovery and choice."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from dockyard.buildpacks import BuildSettings, build, interpreters
from dockyard.buildpacks.interpreters import (
    Interpreter,
    candidate_paths,
    choose,
    discover,
    remembered,
)
from dockyard.buildpacks.pyversion import VersionRequest, matches, read_request
from dockyard.errors import DockyardError
from dockyard.logs import Log


def fake(*versions: str) -> list[Interpreter]:
    out = [Interpreter(Path(f"/opt/py{v}/bin/python3"), tuple(int(p) for p in v.split(".")))
           for v in versions]
    return sorted(out, key=lambda i: i.version, reverse=True)


INSTALLED = fake("3.12.1", "3.11.7", "3.11.2", "3.10.13")


def write(app: Path, files: dict[str, str]) -> Path:
    app.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (app / name).write_text(text)
    return app


def test_runtime_txt_beats_python_version_which_beats_requires_python(tmp_path: Path) -> None:
    app = write(tmp_path / "app", {
        "runtime.txt": " python-3.10.4 \n", ".python-version": "# pinned\n3.12\n",
        "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.11"\n'})
    assert read_request(app) == VersionRequest("runtime.txt", "python-3.10.4", (3, 10, 4))
    (app / "runtime.txt").unlink()
    assert read_request(app) == VersionRequest(".python-version", "3.12", (3, 12))
    (app / ".python-version").unlink()
    assert read_request(app) == VersionRequest("pyproject.toml requires-python", ">=3.11",
                                               specifier=">=3.11")
    (app / "pyproject.toml").write_text('[tool.ruff]\nline-length = 100\n')
    assert read_request(app) is None


@pytest.mark.parametrize(("name", "text"), [
    ("runtime.txt", "3.10.4"), ("runtime.txt", "python-3"), (".python-version", "3.11\n3.12"),
    (".python-version", "python-3.12"), (".python-version", ""),
    ("pyproject.toml", '[project]\nrequires-python = "3.11+"\n'),
])
def test_malformed_version_files_fail_with_a_code(tmp_path: Path, name: str, text: str) -> None:
    app = write(tmp_path / "app", {name: text})
    with pytest.raises(DockyardError) as err:
        read_request(app)
    assert err.value.code == "build.python_version_invalid"
    assert name.split(".")[0] in err.value.message


@pytest.mark.parametrize(("spec", "version", "ok"), [
    (">=3.10", (3, 11, 7), True), (">=3.12", (3, 11, 7), False),
    (">=3.10,<3.12", (3, 12, 0), False), ("~=3.10", (3, 13, 0), True),
    ("~=3.10.2", (3, 11, 0), False), ("==3.11.*", (3, 11, 7), True),
    ("!=3.11.*", (3, 11, 7), False), ("==3.11", (3, 11, 0), True), ("<3.11.5", (3, 11, 7), False),
])
def test_requires_python_clauses(spec: str, version: tuple[int, ...], ok: bool) -> None:
    assert matches(spec, version) is ok


@pytest.mark.parametrize(("request_", "chosen"), [
    (VersionRequest(".python-version", "3.11", (3, 11)), "3.11.7"),
    (VersionRequest(".python-version", "3.11.2", (3, 11, 2)), "3.11.2"),
    (VersionRequest("runtime.txt", "python-3.10.4", (3, 10, 4)), "3.10.13"),
    (VersionRequest("pyproject.toml requires-python", ">=3.10,<3.12",
                    specifier=">=3.10,<3.12"), "3.11.7"),
    (None, "3.12.1"),
])
def test_the_best_installed_interpreter_of_the_requested_minor_wins(
        request_: VersionRequest | None, chosen: str) -> None:
    got, _ = choose(request_, INSTALLED, fallback=True, log=Log())
    assert got is not None and got.text == chosen


def test_a_different_patch_of_the_same_minor_is_used_with_a_note(tmp_path: Path) -> None:
    log = Log(tmp_path / "log")
    got, notes = choose(VersionRequest("runtime.txt", "python-3.10.4", (3, 10, 4)), INSTALLED,
                        fallback=True, log=log)
    log.close()
    assert got is not None and got.text == "3.10.13"
    assert "3.10.4 is not installed" in notes[0]
    assert "WARNING" not in (tmp_path / "log").read_text()


def test_missing_minor_falls_back_to_the_nearest_newer_with_a_warning(tmp_path: Path) -> None:
    log = Log(tmp_path / "log")
    got, notes = choose(VersionRequest("runtime.txt", "python-3.9.1", (3, 9, 1)),
                        fake("3.12.1", "3.11.7", "3.11.2"), fallback=True, log=log)
    log.close()
    assert got is not None and got.text == "3.11.7"
    text = (tmp_path / "log").read_text()
    assert " !     WARNING: Python 3.9 (python-3.9.1 from runtime.txt) is not installed" in text
    assert notes and notes[0].startswith("WARNING")


@pytest.mark.parametrize("request_", [
    VersionRequest(".python-version", "3.13", (3, 13)),  # nothing newer installed
    VersionRequest("pyproject.toml requires-python", ">=3.13", specifier=">=3.13"),
])
def test_no_interpreter_is_chosen_when_none_fits(request_: VersionRequest) -> None:
    assert choose(request_, INSTALLED, fallback=True, log=Log()) == (None, [])


def test_without_fallback_a_missing_minor_is_not_replaced() -> None:
    got, _ = choose(VersionRequest(".python-version", "3.9", (3, 9)), INSTALLED, fallback=False,
                    log=Log())
    assert got is None


def test_discovery_reports_real_versions_and_skips_non_interpreters(tmp_path: Path) -> None:
    bogus = tmp_path / "python3.99"
    bogus.write_text("#!/bin/sh\necho nope\n")
    bogus.chmod(0o755)
    found = discover([Path(sys.executable), bogus, tmp_path / "missing"])
    assert [i.version for i in found] == [tuple(sys.version_info[:3])]


def fake_python(path: Path, version: str, calls: Path) -> Path:
    """An "interpreter" that answers the version probe and counts how often it was asked."""
    path.write_text(f"#!/bin/sh\necho x >> {calls}\necho CPython {version.replace('.', ' ')}\n")
    path.chmod(0o755)
    return path


def test_versions_are_probed_once_per_installation_and_again_when_a_binary_changes(
        tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    one = fake_python(tmp_path / "python3.12", "3.12.4", calls)
    bogus = tmp_path / "python3.99"
    bogus.write_text("#!/bin/sh\necho x >> " + str(calls) + "\necho nope\n")
    bogus.chmod(0o755)
    store = tmp_path / "state" / "interpreters.json"
    interpreters._probed.clear()  # a new deploy worker: nothing in memory
    assert remembered(store, [one, bogus]) == {str(one): "3.12.4", str(bogus): ""}
    assert len(calls.read_text().split()) == 2
    assert oct(store.stat().st_mode & 0o777) == "0o600"

    interpreters._probed.clear()  # the next worker reads the file instead of probing
    assert remembered(store, [one, bogus]) == {str(one): "3.12.4", str(bogus): ""}
    assert len(calls.read_text().split()) == 2

    interpreters._probed.clear()  # an upgraded interpreter is asked again
    fake_python(one, "3.12.5", calls)
    os.utime(one, ns=(1, one.stat().st_mtime_ns + 10**9))
    assert remembered(store, [one])[str(one)] == "3.12.5"
    assert len(calls.read_text().split()) == 3
    store.write_text("{not json")  # a damaged file is probed around, then rewritten
    interpreters._probed.clear()
    assert remembered(store, [one])[str(one)] == "3.12.5"
    assert json.loads(store.read_text())["probed"][0][2] == "3.12.5"


def test_a_build_given_the_versions_does_not_probe(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    one = fake_python(tmp_path / "python3.12", "3.12.4", calls)
    old = fake_python(tmp_path / "python3.7", "3.7.9", calls)
    interpreters._probed.clear()
    found = discover([one, old], {str(one): "3.12.4", str(old): "3.7.9"})
    assert [(i.path, i.version) for i in found] == [(one, (3, 12, 4))]  # 3.7: too old
    assert not calls.exists()


def test_default_discovery_finds_the_interpreter_running_the_tests() -> None:
    found = discover(candidate_paths())
    assert tuple(sys.version_info[:2]) in {i.minor for i in found}


def system_python() -> Interpreter:
    found = discover(candidate_paths())
    system = [i for i in found if str(i.path).startswith(("/usr/bin/", "/usr/local/bin/"))]
    if not system:
        pytest.skip("no system python3.N in /usr/bin or /usr/local/bin")
    return system[0]


def test_strict_python_fails_with_the_installed_interpreters(app_copy, make_request,
                                                             log: Log) -> None:
    only = system_python()
    src = app_copy("python_minimal")
    (src / "runtime.txt").write_text(f"python-{only.version[0]}.{only.version[1] - 1}.4\n")
    req = make_request(src, settings=BuildSettings(strict_python=True,
                                                   python_candidates=(only.path,)))
    with pytest.raises(DockyardError) as err:
        build(req, log)
    assert err.value.code == "build.python_missing"
    assert f"installed: {only.text} ({only.path})" in err.value.message
    assert "strict_python" in err.value.message
    assert not (req.release / "release.json").exists()
    assert not (req.home.build_cache / "envs").exists()
