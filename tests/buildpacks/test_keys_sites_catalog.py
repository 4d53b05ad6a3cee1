"""Cache keys (a code-only change keeps the dependency key; a dependency change says what
changed), static-site output folders, the spec-level build plan, and the buildpack catalogue
that ``apps list-buildpacks`` shows. Small repos in tmp_path; nothing is installed."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from tests.buildpacks.smallrepo import repo

from dockyard.appspec import parse_spec_data
from dockyard.buildpacks import BUILDPACKS, BuildRequest
from dockyard.buildpacks.deps import plan
from dockyard.buildpacks.envcache import EnvRequest, env_state, seed_packages, state_key
from dockyard.buildpacks.interpreters import Interpreter
from dockyard.buildpacks.keyed import Keyed, why
from dockyard.buildpacks.nodemodules import state as node_state
from dockyard.buildpacks.nodetools import Node, PackageManager
from dockyard.buildpacks.plan import blockers, nothing_to_run, skipped
from dockyard.buildpacks.static import SCAN, publish_site
from dockyard.errors import DockyardError, NotFound
from dockyard.logs import Log
from dockyard.paths import Home

PY = Interpreter(Path(sys.executable), (3, 11, 9))


def env_request(home: Path, app: Path, **kw) -> EnvRequest:
    return EnvRequest(home=Home(home), app=app, interpreter=kw.pop("interpreter", PY),
                      plan=plan(app), env=kw.pop("env", {}), history="h-web", **kw)


# -- the Python environment's key ----------------------------------------------------------

def test_a_code_only_change_keeps_the_environment_key(tmp_path):
    app = repo(tmp_path / "app", {"requirements.txt": "flask==3.0.0\n", "app.py": "v = 1\n"})
    before = state_key(env_state(env_request(tmp_path, app)))
    (app / "app.py").write_text("v = 2\n")
    (app / "templates").mkdir()
    assert state_key(env_state(env_request(tmp_path, app))) == before


@pytest.mark.parametrize(("change", "what"), [
    (lambda app: (app / "requirements.txt").write_text("flask==3.0.1\n"), "files"),
    (lambda app: (app / "base.txt").write_text("click\n"), "files"),
], ids=["requirement-pin", "included-file"])
def test_a_dependency_change_changes_the_key(tmp_path, change, what):
    app = repo(tmp_path / "app", {"requirements.txt": "-r base.txt\nflask==3.0.0\n",
                                  "base.txt": "itsdangerous\n"})
    old = env_state(env_request(tmp_path, app))
    change(app)
    new = env_state(env_request(tmp_path, app))
    assert state_key(new) != state_key(old)
    assert [k for k in old if old[k] != new[k]] == [what]


def test_pip_and_uv_settings_are_keyed_by_hash_never_by_value(tmp_path):
    app = repo(tmp_path / "app", {"requirements.txt": ""})
    secret_url = "https://user:s3cret-token@pypi.example.com/simple"
    state = env_state(env_request(tmp_path, app, env={"PIP_INDEX_URL": secret_url,
                                                      "DEBUG": "1"}))
    assert list(state["settings"]) == ["PIP_INDEX_URL"]
    assert "s3cret-token" not in json.dumps(state)
    other = env_state(env_request(tmp_path, app, env={"PIP_INDEX_URL": secret_url + "2"}))
    assert state_key(other) != state_key(state)


def test_another_python_patch_is_another_environment(tmp_path):
    app = repo(tmp_path / "app", {"requirements.txt": ""})
    newer = Interpreter(PY.path, (3, 11, 10))
    assert state_key(env_state(env_request(tmp_path, app))) != \
        state_key(env_state(env_request(tmp_path, app, interpreter=newer)))


@pytest.mark.parametrize(("files", "version", "seeded"), [
    ({"requirements.txt": "gunicorn\n"}, (3, 12, 1), ["setuptools", "wheel"]),
    ({"requirements.txt": "Setuptools==65.0\n"}, (3, 11, 9), ["wheel"]),
    ({"requirements.txt": "gunicorn\n"}, (3, 13, 0), []),
    ({"pyproject.toml": "[project]\nname='a'\n", "uv.lock": ""}, (3, 11, 9), []),
], ids=["seeded", "pinned-by-the-app", "python-3.13", "uv-lock"])
def test_setuptools_and_wheel_are_seeded_as_herokus_buildpack_does(tmp_path, files, version,
                                                                  seeded):
    app = repo(tmp_path / "app", files)
    req = env_request(tmp_path, app, interpreter=Interpreter(PY.path, version))
    assert [name for name, _v in seed_packages(req)] == seeded


# -- node_modules' key, and why a miss happened ----------------------------------------------

NODE = Node(Path("/usr/bin/node"), "20.19.2")
NPM = PackageManager("npm", "package-lock.json", ("npm",), "10.8.2")


def node_key(app: Path, pkg: dict, env: dict | None = None) -> str:
    return Keyed(app, node_state(app, pkg, NODE, NPM, env or {}), app / "h", "node_modules").key


def test_a_package_json_change_outside_dependencies_keeps_node_modules(tmp_path):
    app = repo(tmp_path, {"package-lock.json": "{}", "index.js": ""})
    pkg = {"name": "shop", "dependencies": {"express": "^4"}, "scripts": {"start": "node ."}}
    before = node_key(app, pkg)
    (app / "index.js").write_text("console.log(1)")
    assert node_key(app, {**pkg, "version": "2.0.0",
                          "scripts": {"start": "node server.js", "build": "tsc"}}) == before


@pytest.mark.parametrize("edit", [
    lambda pkg: pkg["dependencies"].update(lodash="^4"),
    lambda pkg: pkg.update(devDependencies={"typescript": "^5"}),
    lambda pkg: pkg.update(scripts={"postinstall": "patch-package"}),
], ids=["dependency", "dev-dependency", "install-script"])
def test_what_npm_installs_changes_the_node_modules_key(tmp_path, edit):
    app = repo(tmp_path, {"package-lock.json": "{}"})
    pkg = {"dependencies": {"express": "^4"}}
    before = node_key(app, pkg)
    edit(pkg)
    assert node_key(app, pkg) != before


def test_an_npmrc_or_registry_setting_changes_the_node_modules_key(tmp_path):
    app = repo(tmp_path, {"package-lock.json": "{}"})
    before = node_key(app, {})
    assert node_key(app, {}, {"NPM_CONFIG_REGISTRY": "https://npm.example.com"}) != before
    (app / ".npmrc").write_text("registry=https://npm.example.com\n")
    assert node_key(app, {}) != before


def test_the_reason_for_a_new_directory_names_each_change():
    old = {"Node.js": "20.19.2", "files": {"package-lock.json": "a", ".npmrc": "b"}}
    new = {"Node.js": "22.1.0", "files": {"package-lock.json": "c", "yarn.lock": "d"}}
    assert why(old, new, force=False) == ("Node.js changed from 20.19.2 to 22.1.0; "
                                          "package-lock.json changed; yarn.lock added; "
                                          ".npmrc removed")
    assert why(None, new, force=False) == "first build of this component"
    assert why(old, new, force=True) == "force rebuild requested"
    assert why(new, new, force=False) == "it is no longer in the cache"


def test_a_reused_directory_is_logged_with_what_stayed_the_same(tmp_path):
    out = io.StringIO()
    keyed = Keyed(tmp_path / "cache", {"files": {"package-lock.json": "a"}}, tmp_path / "h",
                  "node_modules")
    made = []
    first, hit1 = keyed.ensure(lambda d: made.append(d), Log(echo=out))
    second, hit2 = keyed.ensure(lambda d: made.append(d), Log(echo=out))
    assert (first, hit1, hit2, len(made)) == (second, False, True, 1)
    short = keyed.key[:12]
    assert out.getvalue().splitlines() == [
        f"-----> Creating node_modules {short} (first build of this component)",
        f"-----> Reusing node_modules {short} (package-lock.json unchanged)"]


def test_a_failed_create_leaves_nothing_to_reuse(tmp_path):
    keyed = Keyed(tmp_path / "cache", {"v": 1}, tmp_path / "h", "node_modules")

    def broken(fresh: Path) -> None:
        (fresh / "half").write_text("x")
        raise DockyardError("install failed")

    with pytest.raises(DockyardError):
        keyed.ensure(broken, Log())
    assert not (tmp_path / "cache" / keyed.key).exists()


# -- static sites: which folder is published ------------------------------------------------

def site_request(tmp_path: Path, src: Path, **kw) -> BuildRequest:
    home = Home(tmp_path / "home")
    return BuildRequest(component="site", kind="static_site", src=src,
                        release=home.release("a1", "d1", "site"), env={}, home=home, **kw)


@pytest.mark.parametrize(("made", "expected"), [
    (["dist", "build"], "dist"), (["public"], "public"), (["build"], "build"),
    (["_static", "dist"], "_static"),
])
def test_unset_output_dir_publishes_the_first_usual_folder_the_build_made(tmp_path, made,
                                                                         expected):
    src = repo(tmp_path / "src", {"package.json": "{}"})
    work = repo(tmp_path / "work", {"package.json": "{}"})
    for name in made:
        repo(work, {f"{name}/index.html": name})
    notes: list[str] = []
    site = publish_site(site_request(tmp_path, src), work, built=True, log=Log(), notes=notes)
    assert (site / "index.html").read_text() == expected
    assert notes == [f"output_dir unset: using '{expected}' (made by the build) "
                     f"(scanned {', '.join(SCAN)})"]


def test_a_folder_made_by_the_build_beats_one_that_was_committed(tmp_path):
    src = repo(tmp_path / "src", {"public/favicon.ico": "x"})
    work = repo(tmp_path / "work", {"public/favicon.ico": "x", "dist/index.html": "built"})
    notes: list[str] = []
    site = publish_site(site_request(tmp_path, src), work, built=True, log=Log(), notes=notes)
    assert (site / "index.html").read_text() == "built"


def test_without_a_usual_folder_the_whole_source_is_published_and_said_so(tmp_path):
    src = repo(tmp_path / "src", {"index.html": "hi"})
    notes: list[str] = []
    publish_site(site_request(tmp_path, src), src, built=True, log=Log(), notes=notes)
    assert notes == ["output_dir unset and none of _static, dist, public, build exists after "
                     "the build: publishing the whole source_dir"]


def test_a_site_without_index_html_is_published_with_a_note(tmp_path):
    src = repo(tmp_path / "src", {"about.html": "hi"})
    out = io.StringIO()
    notes: list[str] = []
    publish_site(site_request(tmp_path, src), src, built=False, log=Log(echo=out), notes=notes)
    assert notes == ["the site has no index.html at its root"]
    assert out.getvalue() == ("-----> Publishing the source_dir as the site (1 files)\n"
                              "       Note: the site has no index.html at its root\n")


@pytest.mark.parametrize(("output_dir", "code", "words"), [
    ("../secrets", "build.output_dir_escapes", "output_dir '../secrets' of 'site' leaves the "
                                               "source_dir"),
    ("out", "build.output_dir_missing", "directories in the source_dir: assets, docs"),
])
def test_a_bad_output_dir_is_refused_naming_it(tmp_path, output_dir, code, words):
    src = repo(tmp_path / "src", {"docs/": "", "assets/": "", ".git/": ""})
    with pytest.raises(DockyardError) as caught:
        publish_site(site_request(tmp_path, src, output_dir=output_dir), src, built=True,
                     log=Log(), notes=[])
    assert caught.value.code == code and words in caught.value.message


# -- the plan from the spec alone -----------------------------------------------------------

def spec_of(**top):
    data = {"name": "app", "services": [{"name": "web", "github": {"repo": "a/b"}}], **top}
    return parse_spec_data(data).spec


def test_an_unbuildable_dockerfile_or_unknown_slug_blocks_its_component_with_the_field_path():
    from dockyard.buildpacks.plan import Host

    app = spec_of(workers=[{"name": "wk", "github": {"repo": "a/b"},
                            "dockerfile_path": "Dockerfile"}],
                  jobs=[{"name": "jb", "github": {"repo": "a/b"}, "environment_slug": "ruby"}])
    assert [f.component for f in blockers(app)] == ["jb"], "a Dockerfile builds"
    rootless = Host(containers="Dockyard does not run as root, and buildah needs root")
    found = [(f.to_json()["path"], f.loc[-1], f.code) for f in blockers(app, rootless)]
    assert found == [("workers[0]", "dockerfile_path", "build.containers_unavailable"),
                     ("jobs[0]", "environment_slug", "build.environment_unsupported")]
    assert "supported: python, node-js, go, html" in blockers(app)[0].reason


def test_skipped_components_and_a_functions_only_app():
    from dockyard.buildpacks.plan import Host

    app = spec_of(functions=[{"name": "fn", "github": {"repo": "a/b"}}],
                  workers=[{"name": "wk", "image": {"registry_type": "DOCR",
                                                    "repository": "w"}}])
    assert dict(skipped(app)) == {
        "fn": "functions run on DigitalOcean's Functions service, not on Dockyard"}
    why = dict(skipped(app, Host()))  # on the server: DOCR needs the installation's registry
    assert set(why) == {"wk", "fn"} and "docr_registry" in why["wk"]
    assert not nothing_to_run(app)
    only = parse_spec_data({"name": "app", "functions": [{"name": "fn",
                                                          "github": {"repo": "a/b"}}]}).spec
    assert nothing_to_run(only)


# -- the buildpack catalogue (GET /v2/apps/buildpacks, apps list-buildpacks) ----------------

def test_each_buildpack_is_listed_with_its_slugs_and_dockyards_version():
    from dockyard import __version__
    from dockyard.api.routes_buildpacks import buildpack_json

    listed = [buildpack_json(pack) for pack in BUILDPACKS]
    assert [b["id"] for b in listed] == ["dockyard/python", "dockyard/node-js", "dockyard/go",
                                         "dockyard/html"]
    for entry, pack in zip(listed, BUILDPACKS, strict=True):
        assert entry["version"] == __version__ and entry["latest"] is True
        assert entry["description"][-1] == f"environment_slug: {', '.join(pack.slugs)}"
        assert len(entry["description"]) == 2  # every buildpack has its own description


@pytest.mark.parametrize(("wanted", "name"), [
    ("dockyard/python", "python"), ("digitalocean/node", "node-js"), ("GO", "go"),
    ("html", "html"), (" node-js ", "node-js"),
])
def test_a_buildpack_is_found_by_id_name_slug_or_digitaloceans_id(wanted, name):
    from dockyard.api.routes_buildpacks import find_buildpack

    assert find_buildpack(wanted).name == name


def test_an_unknown_buildpack_lists_dockyards():
    from dockyard.api.routes_buildpacks import find_buildpack

    with pytest.raises(NotFound) as caught:
        find_buildpack("digitalocean/ruby")
    assert caught.value.message == ("buildpack 'digitalocean/ruby' not found; Dockyard's "
                                    "buildpacks are dockyard/python, dockyard/node-js, "
                                    "dockyard/go, dockyard/html")


# -- whose last build a cache miss is compared with -----------------------------------------

def test_the_last_build_record_is_per_app_and_component_not_per_deployment(tmp_path):
    from dockyard.buildpacks.nodemodules import history_name as node_history
    from dockyard.buildpacks.python import history_name as python_history

    home = Home(tmp_path / "home")

    def req(app: str, deployment: str, component: str) -> BuildRequest:
        return BuildRequest(component=component, kind="service", src=tmp_path, env={},
                            home=home, release=home.release(app, deployment, component))

    for history in (node_history, python_history):
        first = history(req("a1", "d1", "web"))
        assert history(req("a1", "d2", "web")) == first
        assert history(req("a2", "d1", "web")) != first
        assert history(req("a1", "d1", "api")) != first and first.endswith("-web")


@pytest.mark.parametrize(("pkg", "berry", "reason"), [
    ({"workspaces": ["packages/*"]}, False,
     "workspaces: each has node_modules of its own, so none is shared"),
    ({}, True, "yarn 2+ keeps no node_modules to share (its own cache is reused)"),
    ({"workspaces": []}, False, None),
])
def test_when_node_modules_are_installed_in_place_instead_of_shared(pkg, berry, reason):
    from dockyard.buildpacks.nodemodules import _in_place_reason

    manager = PackageManager("yarn", "yarn.lock", ("corepack", "yarn"), "4.1.0", berry=berry)
    assert _in_place_reason(pkg, manager) == reason
