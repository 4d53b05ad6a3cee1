"""Detection and build plans from small repositories written into tmp_path: nothing is installed
or compiled, so these read files and decide only (what a user sees: the buildpack and its reason,
the install command, the refusal and its fix)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.buildpacks.smallrepo import repo

from dockyard.buildpacks import SUPPORTED_SLUGS, DirFiles, Probe, select
from dockyard.buildpacks.deps import plan
from dockyard.buildpacks.detect import default_run_command, procfile
from dockyard.buildpacks.go import default_run_command as go_run_command
from dockyard.buildpacks.gomod import Go, binary_name, check_directive, read_go_mod
from dockyard.buildpacks.node import default_run_command as node_run_command
from dockyard.buildpacks.nodetools import (
    Node,
    PackageManager,
    check_engines,
    choose_manager,
    read_package_json,
)
from dockyard.buildpacks.pyversion import matches, read_request
from dockyard.errors import DockyardError
from dockyard.logs import Log


def probe(root: Path, kind: str = "service", **kw: str) -> Probe:
    return Probe("web", kind, DirFiles(root), **kw)


def echo_log() -> tuple[Log, io.StringIO]:
    out = io.StringIO()
    return Log(echo=out), out


# -- which buildpack, and why ---------------------------------------------------------------

@pytest.mark.parametrize(("files", "kind", "pack", "reason"), [
    ({"requirements.txt": "flask\n"}, "service", "python", "found requirements.txt"),
    ({"Pipfile": "", "runtime.txt": "python-3.11"}, "worker", "python",
     "found Pipfile, runtime.txt"),
    ({"package.json": "{}", "yarn.lock": ""}, "service", "node-js",
     "found package.json and yarn.lock"),
    ({"package.json": "{}"}, "job", "node-js", "found package.json (no lockfile)"),
    ({"go.mod": "module x\n", "vendor/": ""}, "service", "go", "found go.mod and vendor/"),
    ({"index.html": "<h1>hi</h1>"}, "static_site", "html",
     "static_site with no build_command: publishing its files as they are"),
    ({"requirements.txt": "mkdocs\n", "package.json": "{}"}, "service", "python",
     "found requirements.txt"),
], ids=["requirements", "pipfile", "yarn", "npm-no-lock", "go-vendor", "static", "python-first"])
def test_the_first_buildpack_that_detects_wins_and_says_why(tmp_path, files, kind, pack, reason):
    found, why = select(probe(repo(tmp_path, files), kind))
    assert (found.name, why) == (pack, reason)


def test_a_go_module_is_not_a_static_site_builder(tmp_path):
    root = repo(tmp_path, {"go.mod": "module x\n"})
    found, why = select(probe(root, "static_site", build_command="hugo"))
    assert (found.name, why) == ("html", "static_site with a build_command and no language "
                                         "markers")


def test_environment_slug_beats_detection(tmp_path):
    root = repo(tmp_path, {"requirements.txt": ""})
    found, why = select(probe(root, environment_slug="node-js"))
    assert (found.name, why) == ("node-js", "environment_slug: node-js")


def test_an_unknown_slug_lists_the_supported_ones(tmp_path):
    with pytest.raises(DockyardError) as caught:
        select(probe(tmp_path, environment_slug="ruby"))
    assert caught.value.code == "build.environment_unsupported"
    assert "environment_slug 'ruby' of 'web' is not supported by Dockyard; supported: " \
           "python, node-js, go, html" in caught.value.message
    assert SUPPORTED_SLUGS == ("python", "node-js", "go", "html")


def test_nothing_detected_says_what_was_looked_for_and_what_is_there(tmp_path):
    root = repo(tmp_path, {"Gemfile": "", "app.rb": "", "lib/": ""})
    with pytest.raises(DockyardError) as caught:
        select(probe(root, "worker"))
    message = caught.value.message
    assert message.startswith("no buildpack detected for worker 'web': looked for ")
    assert "package.json (Node.js); go.mod (Go)" in message
    assert message.endswith("found Gemfile, app.rb, lib/")


# -- Python: dependency file precedence and the uv command ----------------------------------

def test_requirements_txt_installs_with_uv_pip_and_follows_includes(tmp_path):
    root = repo(tmp_path, {"requirements.txt": "-r base.txt\n-c constraints.txt\n",
                           "base.txt": "flask  # web\n-r requirements.txt\n",
                           "constraints.txt": "flask<4\n"})
    deps = plan(root)
    assert deps.files == ("requirements.txt", "base.txt", "constraints.txt")
    assert deps.install_argv("uv", Path("/py/bin/python3")) == [
        "uv", "pip", "install", "--python", "/py/bin/python3", "-r", "requirements.txt"]


def test_an_include_outside_the_app_is_not_part_of_the_key(tmp_path):
    app = repo(tmp_path / "app", {"requirements.txt": "-r ../shared.txt\n"})
    repo(tmp_path, {"shared.txt": "flask\n"})
    assert plan(app).files == ("requirements.txt",)


def test_requirements_beside_a_pipfile_notes_that_pipenv_is_not_used(tmp_path):
    deps = plan(repo(tmp_path, {"requirements.txt": "", "Pipfile": ""}))
    assert deps.notes == ("Pipfile is ignored: requirements.txt is installed with uv "
                          "(DigitalOcean would use pipenv)",)


@pytest.mark.parametrize(("files", "code", "fix"), [
    ({"Pipfile": "[packages]\n"}, "build.package_manager_unsupported",
     "`pipenv requirements > requirements.txt`"),
    ({"poetry.lock": "", "pyproject.toml": "[tool.poetry]\n"},
     "build.package_manager_unsupported", "`poetry export -f requirements.txt"),
    ({"runtime.txt": "python-3.12"}, "build.no_dependency_file", "requirements.txt"),
    ({"pyproject.toml": "[project\nname="}, "build.pyproject_invalid", ""),
])
def test_python_repos_uv_cannot_install_are_refused_with_the_fix(tmp_path, files, code, fix):
    with pytest.raises(DockyardError) as caught:
        plan(repo(tmp_path, files))
    assert caught.value.code == code
    assert fix in (caught.value.hint or "") + caught.value.message


def test_uv_lock_syncs_without_the_project_or_dev_dependencies(tmp_path):
    deps = plan(repo(tmp_path, {"pyproject.toml": "[project]\nname='a'\n", "uv.lock": ""}))
    assert deps.files == ("pyproject.toml", "uv.lock")
    assert deps.install_argv("uv", Path("/py")) == [
        "uv", "sync", "--locked", "--no-install-project", "--no-dev", "--python", "/py"]


def test_a_pyproject_without_project_table_falls_to_setup_py(tmp_path):
    root = repo(tmp_path, {"pyproject.toml": "[tool.black]\n", "setup.py": "", "setup.cfg": ""})
    assert (plan(root).manager, plan(root).files) == ("setup.py", ("setup.py", "setup.cfg"))


@pytest.mark.parametrize(("files", "source", "allowed", "refused"), [
    ({"runtime.txt": "python-3.11.4\n", ".python-version": "3.12\n"}, "runtime.txt",
     (3, 11, 4), (3, 11, 5)),
    ({".python-version": "# pinned\n3.12\n"}, ".python-version", (3, 12, 9), (3, 13, 0)),
    ({"pyproject.toml": "[project]\nrequires-python = '>=3.10,<3.13'\n"},
     "pyproject.toml requires-python", (3, 12, 1), (3, 13, 0)),
])
def test_python_version_request_by_precedence(tmp_path, files, source, allowed, refused):
    request = read_request(repo(tmp_path, files))
    assert request is not None and request.source == source
    assert request.allows(allowed) and not request.allows(refused)


@pytest.mark.parametrize(("files", "expected"), [
    ({"runtime.txt": "3.12"}, "python-X.Y or python-X.Y.Z"),
    ({".python-version": "3.11\n3.12\n"}, "exactly one line X.Y or X.Y.Z"),
    ({".python-version": "python-3.12"}, "exactly one line"),
    ({"pyproject.toml": "[project]\nrequires-python = 'py3'\n"}, "PEP 440 clauses"),
])
def test_malformed_version_requests_say_what_was_expected(tmp_path, files, expected):
    with pytest.raises(DockyardError, match=expected):
        read_request(repo(tmp_path, files))


@pytest.mark.parametrize(("spec", "version", "ok"), [
    ("~=3.10", (3, 12, 0), True), ("~=3.10.2", (3, 11, 0), False),
    ("==3.11.*", (3, 11, 8), True), ("!=3.12.*", (3, 12, 1), False),
    (">3.11", (3, 11, 0), False), ("<=3.11", (3, 11, 0), True),
])
def test_requires_python_clauses_follow_pep_440(spec, version, ok):
    assert matches(spec, version) is ok


# -- Procfile and default run commands ------------------------------------------------------

def test_procfile_parsing_skips_comments_and_later_lines_win(tmp_path):
    root = repo(tmp_path, {"Procfile": "# web: nope\nweb:  gunicorn a:b  \nrelease: migrate\n"
                                       "not a line\nweb: gunicorn app:app\n"})
    assert procfile(root) == {"web": "gunicorn app:app", "release": "migrate"}


@pytest.mark.parametrize(("kind", "command", "source"), [
    ("service", None, "no Procfile 'web:' line and no wsgi.py next to manage.py"),
    ("worker", "celery -A app worker", "Procfile 'worker:' line"),
    ("job", None, "jobs need one"),
])
def test_python_run_command_by_kind(tmp_path, kind, command, source):
    root = repo(tmp_path, {"Procfile": "worker: celery -A app worker\n"})
    assert default_run_command(root, kind) == (command, source)


@pytest.mark.parametrize(("files", "expected"), [
    ({"package.json": json.dumps({"scripts": {"start": "node index.js"}})},
     "Default run command: npm start (from package.json start script)"),
    ({"package.json": "{}", "server.js": ""},
     "Default run command: npm start (from server.js (npm start runs `node server.js`))"),
    ({"package.json": "{}", "Procfile": "web: node web.js\n"},
     "Default run command: node web.js (from Procfile 'web:' line)"),
    ({"package.json": "{}"}, "No default run command: no Procfile 'web:' line, no start script "
                             "and no server.js; set run_command in the spec"),
])
def test_node_run_command_is_logged_with_its_source(tmp_path, files, expected):
    log, out = echo_log()
    node_run_command(repo(tmp_path, files), "service", log)
    assert out.getvalue() == f"-----> {expected}\n"


# -- Node: package.json, engines, lockfile → install command --------------------------------

NODE = Node(Path("/usr/bin/node"), "20.19.2")


@pytest.mark.parametrize(("engines", "ok"), [
    (">=18", True), ("20.x", True), ("^20.10.0", True), ("18.x || 20.x", True),
    ("<20", False), ("22.x", False),
])
def test_engines_node_must_admit_the_hosts_node(engines, ok):
    pkg = {"engines": {"node": engines}}
    if ok:
        assert check_engines(pkg, NODE) == engines
        return
    with pytest.raises(DockyardError) as caught:
        check_engines(pkg, NODE)
    assert caught.value.code == "build.node_version_unavailable"
    assert caught.value.message.startswith(f"package.json engines.node is '{engines}', but this "
                                           "host runs Node.js 20.19.2 (/usr/bin/node)")
    assert 'e.g. ">=20"' in caught.value.hint


@pytest.mark.parametrize("engines", ["", "latest!", 20])
def test_an_engines_value_that_is_not_a_range_says_what_was_found(engines):
    with pytest.raises(DockyardError) as caught:
        check_engines({"engines": {"node": engines}}, NODE)
    assert caught.value.code == "build.node_engines_invalid"
    assert caught.value.message.endswith(f"found {engines!r}")


def test_no_engines_is_no_constraint():
    assert check_engines({}, NODE) is None and check_engines({"engines": "x"}, NODE) is None


@pytest.mark.parametrize(("text", "code"), [
    (None, "build.package_json_missing"), ("{", "build.package_json_invalid"),
    ("[1]", "build.package_json_invalid"),
])
def test_package_json_problems_have_a_code(tmp_path, text, code):
    if text is not None:
        (tmp_path / "package.json").write_text(text)
    with pytest.raises(DockyardError) as caught:
        read_package_json(tmp_path)
    assert caught.value.code == code


@pytest.mark.parametrize(("names", "pkg", "expected"), [
    ({"package-lock.json"}, {}, ("npm", "package-lock.json", None)),
    ({"yarn.lock"}, {}, ("yarn", "yarn.lock", None)),
    ({"pnpm-lock.yaml"}, {}, ("pnpm", "pnpm-lock.yaml", None)),
    (set(), {}, ("npm", None, None)),
    ({"yarn.lock"}, {"packageManager": "pnpm@9.1.0"}, ("pnpm", None, "9.1.0")),
    ({"pnpm-lock.yaml"}, {"packageManager": "pnpm@8.15.4+sha256.abc"},
     ("pnpm", "pnpm-lock.yaml", "8.15.4+sha256.abc")),
])
def test_the_lockfile_or_package_manager_field_picks_the_tool(names, pkg, expected):
    tool, lock, version, notes = choose_manager(names, pkg)
    assert (tool, lock, version) == expected and notes == []


def test_several_lockfiles_warn_and_pnpm_leads():
    tool, lock, _version, notes = choose_manager({"package-lock.json", "pnpm-lock.yaml"}, {})
    assert (tool, lock) == ("pnpm", "pnpm-lock.yaml")
    assert notes == ["WARNING: several lockfiles (pnpm-lock.yaml, package-lock.json): using "
                     "pnpm-lock.yaml (pnpm); delete the others so every tool agrees"]


@pytest.mark.parametrize(("manager", "argv"), [
    (PackageManager("npm", "package-lock.json", ("npm",), "10.8.2"),
     ["npm", "ci", "--include=dev", "--no-audit", "--no-fund", "--prefer-offline"]),
    (PackageManager("npm", None, ("npm",), "10.8.2"),
     ["npm", "install", "--include=dev", "--no-audit", "--no-fund", "--prefer-offline"]),
    (PackageManager("yarn", "yarn.lock", ("corepack", "yarn"), "1.22.22"),
     ["corepack", "yarn", "install", "--frozen-lockfile", "--production=false",
      "--non-interactive"]),
    (PackageManager("yarn", "yarn.lock", ("corepack", "yarn"), "4.1.0", berry=True),
     ["corepack", "yarn", "install", "--immutable"]),
    (PackageManager("pnpm", "pnpm-lock.yaml", ("corepack", "pnpm"), "9.1.0"),
     ["corepack", "pnpm", "install", "--frozen-lockfile", "--prod=false"]),
], ids=["npm-ci", "npm-install", "yarn1", "yarn-berry", "pnpm"])
def test_install_commands_are_frozen_to_the_lockfile_and_include_dev(manager, argv):
    assert manager.install_argv() == argv
    assert manager.run_argv("build") == [*manager.prefix, "run", "build"]


def test_a_manager_says_when_it_runs_through_corepack():
    assert PackageManager("pnpm", None, ("/usr/bin/corepack", "pnpm"), "9.1.0").text == \
        "pnpm 9.1.0 through corepack"
    assert PackageManager("npm", None, ("/usr/bin/npm",), "10.8.2").text == "npm 10.8.2"


# -- Go: go.mod directives and binary names -------------------------------------------------

GO = Go(Path("/usr/lib/go-1.19/bin/go"), "1.19.8")


def test_go_mod_is_read(tmp_path):
    root = repo(tmp_path, {"go.mod": 'module "example.com/shop/v2"\n\ngo 1.19\n'
                                     "toolchain go1.19.8\n// +heroku install ./cmd/... ./tools\n"})
    mod = read_go_mod(root)
    assert (mod.module, mod.go, mod.toolchain, mod.install) == (
        "example.com/shop/v2", "1.19", "1.19.8", ("./cmd/...", "./tools"))


@pytest.mark.parametrize(("text", "code"), [
    (None, "build.go_mod_missing"), ("go 1.19\n", "build.go_mod_invalid"),
])
def test_go_mod_problems_have_a_code(tmp_path, text, code):
    if text is not None:
        (tmp_path / "go.mod").write_text(text)
    with pytest.raises(DockyardError) as caught:
        read_go_mod(tmp_path)
    assert caught.value.code == code


@pytest.mark.parametrize(("go_mod", "refusal"), [
    ("module x\ngo 1.19\n", None),
    ("module x\ngo 1.19.8\n", None),
    ("module x\ngo 1.18\n", None),
    ("module x\ngo 1.21\n", "go.mod's go directive asks for Go 1.21, but this host has go1.19.8"),
    ("module x\ngo 1.19.9\n", "asks for Go 1.19.9"),
    ("module x\ngo 1.19\ntoolchain go1.22.1\n", "go.mod's toolchain directive asks for Go 1.22.1"),
])
def test_a_directive_newer_than_the_hosts_go_is_refused_naming_both(tmp_path, go_mod, refusal):
    mod = read_go_mod(repo(tmp_path, {"go.mod": go_mod}))
    if refusal is None:
        check_directive(mod, GO)
        return
    with pytest.raises(DockyardError) as caught:
        check_directive(mod, GO)
    assert refusal in caught.value.message
    assert caught.value.code == "build.go_version_unavailable"
    assert caught.value.hint.startswith("Lower the directive to 1.19 ")


@pytest.mark.parametrize(("path", "name"), [
    ("example.com/shop", "shop"), ("example.com/shop/v2", "shop"),
    ("example.com/shop/cmd/api", "api"), ("shop", "shop"), ("example.com/v2/", "example.com"),
])
def test_binaries_are_named_like_go_build_names_them(path, name):
    assert binary_name(path) == name


@pytest.mark.parametrize(("binaries", "expected"), [
    (["shop", "migrate"], "Default run command: bin/shop (from the module's main package)"),
    (["api"], "Default run command: bin/api (from the only binary)"),
    (["api", "migrate"], "No default run command: binaries api, migrate; set run_command"),
])
def test_go_run_command(tmp_path, binaries, expected):
    mod = read_go_mod(repo(tmp_path, {"go.mod": "module example.com/shop\n"}))
    log, out = echo_log()
    go_run_command(tmp_path, "service", mod, binaries, log)
    assert out.getvalue() == f"-----> {expected}\n"
