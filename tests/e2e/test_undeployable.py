"""What will not deploy is said before anything is built: by `apps spec validate`, `apps
propose` and `apps create`, all components at once, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Platform, get, make_repo

pytestmark = pytest.mark.slow

APPS = Path(__file__).resolve().parent.parent / "apps"

MIXED = """\
name: mixed-bag
services:
  - name: web
    github: {repo: example/mixed-bag, branch: main}
    routes:
      - path: /
  - name: legacy
    github: {repo: example/mixed-bag, branch: main}
    environment_slug: ruby
  - name: docker
    github: {repo: example/mixed-bag, branch: main}
    dockerfile_path: Dockerfile
  - name: empty
    github: {repo: example/mixed-bag, branch: main}
    source_dir: docs
  - name: registry
    image: {registry_type: DOCR, repository: api, tag: v1}
functions:
  - name: fn
    github: {repo: example/mixed-bag, branch: main}
"""

FUNCTIONS_ONLY = """\
name: only-functions
functions:
  - name: api
    github: {repo: example/mixed-bag, branch: main}
"""


@pytest.fixture(scope="module")
def mixed_repo(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("undeployable")
    repo = make_repo(root / "repo", APPS / "node_express", ignore=("node_modules",))
    (repo / "docs").mkdir()
    (repo / "docs" / "README.md").write_text("no code here\n")
    from tests.e2e.conftest import git

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "docs")
    platform.map_url("https://github.com/example/mixed-bag.git", repo)
    return repo


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return path


def app_names(platform: Platform) -> list[str]:
    return [a["spec"]["name"] for a in platform.cli("apps", "list", "-o", "json").json()]


def test_propose_lists_every_component_that_will_not_deploy_with_its_reason(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    out = platform.cli("apps", "propose", "--spec", str(write(tmp_path, MIXED)))
    lines = out.out.splitlines()
    wont = [line for line in lines if line.startswith("Will Not Deploy")]
    assert len(wont) == 5, out.out
    text = "\n".join(wont)
    assert "services[1].environment_slug: \"legacy\": environment_slug 'ruby' is not " \
           "supported by Dockyard; supported: python, node-js, go, html" in text
    assert "services[2]: \"docker\": dockerfile_path 'Dockerfile' of 'docker' does not " \
           "exist in the repository" in text
    assert "services[4].image: \"registry\": " in text and "docr_registry" in text
    assert "functions[0]: functions component \"fn\" is not yet deployable" in text
    assert "services[3]: \"empty\": no buildpack detected for service 'empty': looked for " \
           "requirements.txt" in text and "found README.md" in text
    assert any(line.startswith("Builds") and "services[0] 'web': node-js (found package.json "
               "and package-lock.json)" in line for line in lines)
    assert "apps create refuses this spec" in out.err
    assert "the build of docker, empty will fail at its branch head" in out.err
    assert "mixed-bag" not in app_names(platform), "propose creates nothing"


def without_repository_checks(spec: str) -> str:
    """MIXED without the components only a look into the repository finds (propose looks,
    create does not)."""
    return spec.replace("  - name: empty\n    github: {repo: example/mixed-bag, branch: main}\n"
                        "    source_dir: docs\n", "").replace(
        "  - name: docker\n    github: {repo: example/mixed-bag, branch: main}\n"
        "    dockerfile_path: Dockerfile\n", "")


def test_create_refuses_it_with_every_reason_and_builds_nothing(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    spec = without_repository_checks(MIXED)
    res = platform.cli("apps", "create", "--spec", str(write(tmp_path, spec)), check=False)
    assert res.code != 0
    for where in ("services[1].environment_slug", "services[2].image", "functions[0]"):
        assert where in res.err
    assert "--skip-undeployable" in res.err
    assert "mixed-bag" not in app_names(platform)


def create_skipping_undeployable(platform: Platform, tmp_path: Path, name: str) -> None:
    """The mixed app without its empty static site, as app ``name``, created with
    ``--skip-undeployable``."""
    spec = without_repository_checks(MIXED).replace("mixed-bag\n", f"{name}\n", 1)
    platform.cli("apps", "create", "--spec", str(write(tmp_path, spec)), "--wait",
                 "--skip-undeployable")


def test_skip_undeployable_deploys_the_rest_and_says_what_it_left_out(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    create_skipping_undeployable(platform, tmp_path, "mixed-rest")
    app = platform.app("mixed-rest")
    assert app["active_deployment"]["phase"] == "ACTIVE"
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"Hello from Express" in body
    deploy = platform.cli("apps", "logs", "mixed-rest", "--type", "deploy").out
    assert "Not deploying 'legacy': \"legacy\": environment_slug 'ruby'" in deploy
    assert "Not deploying 'registry'" in deploy and "Not deploying 'fn'" in deploy
    dep = platform.cli("apps", "get-deployment", "mixed-rest", app["active_deployment"]["id"],
                       "-o", "json").json()[0]
    started = sorted({i["component"] for i in dep["dockyard"]["instances"]})
    assert started == ["web"], "only the deployable component was built and started"


def test_a_functions_only_app_is_refused_everywhere_and_never_live(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    path = write(tmp_path, FUNCTIONS_ONLY)
    validate = platform.cli("apps", "spec", "validate", str(path), check=False)
    assert validate.code != 0 and "nothing Dockyard can run" in validate.err
    propose = platform.cli("apps", "propose", "--spec", str(path), check=False)
    assert propose.code != 0 and "nothing Dockyard can run" in propose.err
    create = platform.cli("apps", "create", "--spec", str(path), "--skip-undeployable",
                          check=False)
    assert create.code != 0 and "functions[0]" in create.err
    assert "only-functions" not in app_names(platform)
    api = platform.request("POST", "/v2/apps", {"spec": {
        "name": "only-functions", "functions": [
            {"name": "api", "github": {"repo": "example/mixed-bag", "branch": "main"}}]}})
    assert api.status == 422 and api.body["id"] == "unprocessable_entity"
    assert "functions[0]" in {e["path"] for e in api.body["errors"]}


def test_validate_lists_what_will_not_deploy_offline_and_on_the_server(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    offline = platform.cli("apps", "spec", "validate", str(write(tmp_path, MIXED)),
                           "--schema-only")
    assert offline.code == 0 and offline.out.startswith("name: mixed-bag")
    assert offline.err.count("will not deploy: ") == 2  # the repository is the server's part
    server = platform.cli("apps", "spec", "validate", str(write(tmp_path, MIXED)))
    assert server.err.count("Will Not Deploy") == 5
    assert "looked for requirements.txt" in server.err
    assert "services[0] 'web': node-js (found package.json" in server.err


def test_a_stored_functions_only_spec_fails_its_deployment_instead_of_going_live(
        platform: Platform, mixed_repo: Path, tmp_path: Path) -> None:
    """Specs stored before create refused them (issue 10, defect 9: ACTIVE, serving 404)."""
    from dockyard.appspec import load_spec
    from dockyard.store import Store

    create_skipping_undeployable(platform, tmp_path, "legacy-fns")
    doc = load_spec(FUNCTIONS_ONLY.replace("only-functions", "legacy-fns"))
    store = Store(platform.home / "dockyard.db")
    try:
        store.update_spec(platform.app("legacy-fns")["id"], doc.to_dict(), doc.to_yaml(), [])
    finally:
        store.close()
    res = platform.cli("apps", "create-deployment", "legacy-fns", "--wait", check=False)
    assert res.code != 0
    deps = platform.cli("apps", "list-deployments", "legacy-fns", "-o", "json").json()
    assert deps[0]["phase"] == "ERROR"
    assert deps[0]["dockyard"]["error_code"] == "spec.nothing_to_deploy"
