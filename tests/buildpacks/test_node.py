"""The Node.js buildpack on the fixture apps: real node, real npm (warm npm cache), corepack."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dockyard.buildpacks import build, nodetools, select
from dockyard.buildpacks.nodetools import Node, check_engines, find_node, package_manager
from dockyard.errors import DockyardError
from dockyard.logs import Log


def edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


@pytest.mark.slow
def test_express_service_builds_and_a_code_only_commit_reuses_node_modules(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("node_express")
    first = build(make_request(src, deployment="d1"), log)
    assert first.buildpack == "node-js" and not first.env_cache_hit
    assert first.default_run_command == "npm start"
    assert first.runtime == f"Node.js {find_node().version}"
    assert first.app_dir is not None
    modules = first.app_dir / "node_modules"
    assert modules.is_symlink() and (modules / "express" / "package.json").is_file()
    assert first.caches == [str(modules.resolve())]
    assert first.run_mounts == [str(modules.resolve())], "instances must see node_modules"
    assert first.run_env == {"NODE_ENV": "production"}
    assert first.run_path == [str(modules.resolve() / ".bin")]
    (src / "message.txt").write_text("Hello again\n")
    edit_json(src / "package.json", version="1.0.1", description="only the version changed")
    second = build(make_request(src, deployment="d2"), log)
    assert second.env_cache_hit and second.caches == first.caches
    assert second.app_dir is not None
    assert (second.app_dir / "message.txt").read_text() == "Hello again\n"
    text = log.path.read_text()
    assert "Creating node_modules" in text and "(first build of this component)" in text
    assert "Reusing node_modules" in text and "(package-lock.json, package.json dependencies " \
        "unchanged)" in text
    assert "Installing dependencies" not in text.split("Reusing node_modules")[1]
    served = subprocess.run(["node", "-e", "require('express'); console.log('ok')"],
                            cwd=second.app_dir, capture_output=True, text=True, check=True)
    assert served.stdout.strip() == "ok"


@pytest.mark.slow
def test_an_install_script_change_makes_new_node_modules_and_says_why(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("node_websocket")
    first = build(make_request(src, deployment="d1"), log)
    edit_json(src / "package.json", scripts={"start": "node server.js",
                                             "postinstall": "node -e 1"})
    second = build(make_request(src, deployment="d2"), log)
    assert not second.env_cache_hit and second.caches != first.caches
    assert "(package.json dependencies changed)" in log.path.read_text()


@pytest.mark.slow
def test_react_style_static_site_publishes_what_the_build_script_made(
        app_copy, make_request, log: Log) -> None:
    req = make_request(app_copy("node_static_build"), kind="static_site", component="site")
    result = build(req, log)
    assert result.site_dir is not None and result.buildpack == "node-js"
    site = result.site_dir
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()) == \
        ["index.html", "static/js/main.js"]
    assert 'content="esbuild, NODE_ENV=production"' in (site / "index.html").read_text()
    assert "Hello from a React-style build" in (site / "static" / "js" / "main.js").read_text()
    text = log.path.read_text()
    assert "Running the build script: npm run build" in text
    assert "Publishing build/ as the site (2 files)" in text
    assert any("'build' (made by the build)" in n for n in result.notes)


@pytest.mark.slow
def test_build_command_runs_instead_of_the_build_script(app_copy, make_request,
                                                        log: Log) -> None:
    req = make_request(app_copy("node_static_build"), kind="static_site",
                       build_command="mkdir -p out && echo custom > out/index.html",
                       output_dir="out")
    result = build(req, log)
    assert result.site_dir is not None
    assert (result.site_dir / "index.html").read_text() == "custom\n"
    text = log.path.read_text()
    assert "it runs instead of the package.json build script" in text
    assert "npm run build" not in text


@pytest.mark.slow
def test_a_lockfile_out_of_sync_is_reported_with_the_fix(app_copy, make_request,
                                                         log: Log) -> None:
    src = app_copy("node_websocket")
    edit_json(src / "package.json", dependencies={"ws": "^8.18.0", "left-pad": "1.3.0"})
    with pytest.raises(DockyardError) as err:
        build(make_request(src), log)
    assert err.value.code == "build.lockfile_out_of_sync"
    assert "package-lock.json is out of date with package.json" in err.value.message
    assert err.value.hint == "Run `npm install` and commit package-lock.json."


def test_engines_that_the_host_node_cannot_meet_fail_before_installing(
        app_copy, make_request, log: Log) -> None:
    src = app_copy("node_express")
    edit_json(src / "package.json", engines={"node": ">=99"})
    with pytest.raises(DockyardError) as err:
        build(make_request(src), log)
    node = find_node()
    assert err.value.code == "build.node_version_unavailable"
    assert f"engines.node is '>=99', but this host runs Node.js {node.version}" in \
        err.value.message
    assert "Installing" not in log.path.read_text()


@pytest.mark.parametrize("wanted", ["not a range", "", 20])
def test_an_engines_value_that_is_not_a_range_is_refused(wanted: object) -> None:
    with pytest.raises(DockyardError) as err:
        check_engines({"engines": {"node": wanted}}, Node(Path("/usr/bin/node"), "20.1.0"))
    assert err.value.code == "build.node_engines_invalid"


@pytest.mark.parametrize(("wanted", "ok"), [(">=18", True), ("^20.1", True), ("18.x", False),
                                            (">=14 <21", True), ("20 || 22", True)])
def test_engines_ranges_are_npms(wanted: str, ok: bool) -> None:
    node = Node(Path("/usr/bin/node"), "20.20.2")
    if ok:
        assert check_engines({"engines": {"node": wanted}}, node) == wanted
    else:
        with pytest.raises(DockyardError):
            check_engines({"engines": {"node": wanted}}, node)


def test_a_missing_lockfile_tool_without_corepack_is_named(tmp_path: Path, monkeypatch,
                                                           ) -> None:
    """A host with node but neither yarn nor corepack (only node on the search path)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "node").symlink_to(find_node().path)
    monkeypatch.setattr(nodetools, "DEFAULT_PATH", str(tmp_path / "empty"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text("{}")
    (app / "yarn.lock").write_text("# yarn lockfile v1\n")
    with pytest.raises(DockyardError) as err:
        package_manager(app, Node(bindir / "node", "20.0.0"), {}, dict(os.environ))
    assert err.value.code == "build.package_manager_missing"
    assert err.value.message.startswith("yarn.lock asks for yarn, but yarn is not installed")
    assert "corepack" in err.value.message and "package-lock.json" in (err.value.hint or "")


@pytest.mark.slow
def test_yarn_lockfile_installs_with_yarn_through_corepack(tmp_path: Path, make_request,
                                                           log: Log) -> None:
    """corepack fetches yarn from the npm registry (the test mirror sends no signatures)."""
    app = tmp_path / "yarnapp"
    app.mkdir()
    (app / "package.json").write_text(json.dumps({
        "name": "yarnapp", "version": "1.0.0", "packageManager": "yarn@1.22.22",
        "scripts": {"build": "node -e \"require('fs').writeFileSync('built.txt', 'yes')\""}}))
    (app / "yarn.lock").write_text("# yarn lockfile v1\n\n\n")
    result = build(make_request(app, env={"COREPACK_INTEGRITY_KEYS": "0"}), log)
    assert result.app_dir is not None
    assert (result.app_dir / "built.txt").read_text() == "yes"
    text = log.path.read_text()
    assert "Installing dependencies with yarn 1.22.22 through corepack from yarn.lock" in text
    assert "yarn run build" in text.replace("Running the build script: ", "")


def test_committed_node_modules_are_replaced_by_a_clean_install(tmp_path: Path, make_request,
                                                                log: Log) -> None:
    app = tmp_path / "app"
    (app / "node_modules" / "stale").mkdir(parents=True)
    (app / "package.json").write_text('{"name": "a", "version": "1.0.0"}')
    result = build(make_request(app), log)
    assert result.app_dir is not None
    assert not (result.app_dir / "node_modules" / "stale").exists()
    assert "the repository contains node_modules" in log.path.read_text()
    assert result.default_run_command is None
    assert "No default run command: no Procfile 'web:' line, no start script and no " \
        "server.js" in log.path.read_text()


def test_python_wins_over_node_in_a_django_repository_with_a_package_json(
        tmp_path: Path, make_request) -> None:
    (tmp_path / "requirements.txt").write_text("django\n")
    (tmp_path / "package.json").write_text("{}")
    assert select(make_request(tmp_path))[0].name == "python"
    assert select(make_request(tmp_path, environment_slug="node-js"))[0].name == "node-js"
