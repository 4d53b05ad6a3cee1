"""The Go buildpack: the host's go, go.mod, vendor/, a file:// module proxy (no real proxy is
reachable from these machines), bin/ and the Procfile."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.buildpacks.goproxy import QUOTE, publish

from dockyard.buildpacks import build
from dockyard.buildpacks.gomod import binary_name, find_go
from dockyard.errors import DockyardError
from dockyard.logs import Log

USES_QUOTE = {
    "go.mod": "module github.com/example/proverbs\n\ngo 1.19\n\nrequire example.com/quote "
              "v1.0.0\n",
    "main.go": ('package main\n\nimport (\n\t"fmt"\n\n\t"example.com/quote"\n)\n\n'
                'func main() { fmt.Println(quote.Go()) }\n'),
}


def write(app: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    return app


def test_service_with_a_procfile_builds_into_bin_and_reuses_its_modules_on_a_code_commit(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("go_service")
    first = build(make_request(src, deployment="d1"), log)
    assert first.buildpack == "go" and first.runtime == f"go{find_go().version}"
    assert first.default_run_command == "bin/greeter"
    assert first.app_dir is not None and (first.app_dir / "bin" / "greeter").is_file()
    greeting = src / "internal" / "greeting" / "greeting.go"
    greeting.write_text(greeting.read_text().replace("Hello from Go", "Hello again"))
    second = build(make_request(src, deployment="d2"), log)
    assert not first.env_cache_hit and second.env_cache_hit
    text = log.path.read_text()
    assert "Default run command: bin/greeter (from Procfile 'web:' line)" in text
    assert "Reusing Go modules" in text and "(go.mod unchanged)" in text
    assert second.app_dir is not None
    strings = (second.app_dir / "bin" / "greeter").read_bytes()
    assert b"Hello again" in strings and b"Hello from Go" not in strings


def test_vendored_modules_are_used_as_they_are_without_a_proxy(app_copy, make_request,
                                                              log: Log) -> None:
    src = app_copy("go_vendored")
    result = build(make_request(src, env={"GOPROXY": "off"}), log)
    assert result.default_run_command == "bin/proverbs"
    assert result.app_dir is not None
    assert "Using the vendored modules in vendor/ as they are (-mod=vendor)" in \
        log.path.read_text()


def test_modules_download_through_goproxy_once_per_go_sum(tmp_path: Path, make_request,
                                                          log: Log) -> None:
    proxy = publish(tmp_path / "proxy", "example.com/quote", "v1.0.0", QUOTE)
    env = {"GOPROXY": f"file://{proxy}", "GOSUMDB": "off", "GOFLAGS": "-mod=mod"}
    src = write(tmp_path / "app", USES_QUOTE)
    first = build(make_request(src, deployment="d1", env=env), log)
    assert first.app_dir is not None
    out = subprocess.run([str(first.app_dir / "bin" / "proverbs")], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("Don't communicate by sharing memory")
    second = build(make_request(src, deployment="d2", env=env), log)
    assert second.env_cache_hit
    text = log.path.read_text()
    assert f"Downloading modules (GOPROXY=file://{proxy})" in text
    assert text.count("Downloading modules") == 1


def test_a_module_that_cannot_be_downloaded_is_reported_with_the_proxy(
        tmp_path: Path, make_request, log: Log) -> None:
    src = write(tmp_path / "app", USES_QUOTE)
    with pytest.raises(DockyardError) as err:
        build(make_request(src, env={"GOPROXY": "off"}), log)
    assert err.value.code == "build.go_modules_unavailable"
    assert "could not be downloaded through GOPROXY=off" in err.value.message
    assert "go mod vendor" in (err.value.hint or "")


def test_a_go_directive_newer_than_the_toolchain_fails_before_building(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("go_service")
    (src / "go.mod").write_text("module github.com/example/greeter\n\ngo 1.99\n")
    with pytest.raises(DockyardError) as err:
        build(make_request(src), log)
    go = find_go()
    assert err.value.code == "build.go_version_unavailable"
    assert f"go directive asks for Go 1.99, but this host has go{go.version}" in \
        err.value.message
    assert "Building" not in log.path.read_text()


def test_a_module_without_a_main_package_is_named(tmp_path: Path, make_request,
                                                  log: Log) -> None:
    src = write(tmp_path / "app", {"go.mod": "module example.com/lib\n\ngo 1.19\n",
                                   "lib.go": "package lib\n"})
    with pytest.raises(DockyardError) as err:
        build(make_request(src), log)
    assert err.value.code == "build.go_no_main" and "example.com/lib" in err.value.message


def test_commands_under_cmd_are_built_and_the_only_one_runs(tmp_path: Path, make_request,
                                                            log: Log) -> None:
    src = write(tmp_path / "app", {"go.mod": "module example.com/tools/v2\n\ngo 1.19\n",
                                   "cmd/server/main.go": "package main\nfunc main() {}\n"})
    result = build(make_request(src), log)
    assert result.default_run_command == "bin/server"


@pytest.mark.parametrize(("path", "name"), [("example.com/hello/v2", "hello"),
                                            ("github.com/a/b/cmd/api", "api"), ("v2", "v2")])
def test_binaries_are_named_as_go_build_names_them(path: str, name: str) -> None:
    assert binary_name(path) == name
