"""``dockyard apps spec validate`` on input that crashed it (issue 10, defect 5): a ` !     `
error, exit status 1, never a traceback, from a file or from standard input."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DOCKYARD

BAD_INPUTS = {
    "deep flow YAML": ("name: app\nservices: " + "[" * 5000).encode(),
    "deep JSON": ('{"name": "app", "x": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
    "deep block YAML": "".join(" " * i + "k:\n" for i in range(300)).encode(),
    "lone surrogate": b'name: "\\ud800"\nservices: [{name: web, github: {repo: a/b}}]\n',
    "not UTF-8": b"name: caf\xe9\n",
    "UTF-16": "name: app\n".encode("utf-16"),
    "alias bomb": (b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                   + b"".join(f"{n}: &{n} [".encode() + b",".join([f"*{p}".encode()] * 9)
                              + b"]\n" for p, n in zip("abcdef", "bcdefg", strict=True))
                   + b"name: bomb\nservices: *g\n"),
    "service named web\\n": b'name: app\nservices:\n- name: "web\\n"\n  github: {repo: a/b}\n',
}


def validate(tmp_path: Path, raw: bytes, *, stdin: bool) -> subprocess.CompletedProcess[str]:
    args = [DOCKYARD, "apps", "spec", "validate", "--schema-only"]
    if stdin:
        args.append("-")
    else:
        path = tmp_path / "app.yaml"
        path.write_bytes(raw)
        args.append(str(path))
    env = {**os.environ, "DOCKYARD_HOME": str(tmp_path / "home")}
    proc = subprocess.run(args, input=raw if stdin else None, capture_output=True, env=env,
                          timeout=60, stdin=None if stdin else subprocess.DEVNULL)
    return subprocess.CompletedProcess(args, proc.returncode, proc.stdout.decode(),
                                       proc.stderr.decode("utf-8", "replace"))


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_specs_get_one_plain_error_and_exit_1(tmp_path: Path, name: str, stdin: bool):
    result = validate(tmp_path, BAD_INPUTS[name], stdin=stdin)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr and 'File "' not in result.stderr
    assert result.stderr.startswith(" !     "), result.stderr
    assert result.stdout == ""
