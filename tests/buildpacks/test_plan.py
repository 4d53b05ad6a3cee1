"""What cannot be built is said before building: from the spec, and from the branch head."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.source.gitrepo import commit, git

from dockyard.appspec import load_spec
from dockyard.buildpacks import BUILDPACKS, SUPPORTED_SLUGS, plan
from dockyard.errors import DockyardError
from dockyard.source import source_ref
from dockyard.source.peek import Peek

SPEC = """\
name: mixed
services:
  - name: web
    git: {repo_clone_url: REPO, branch: main}
  - name: legacy
    git: {repo_clone_url: REPO, branch: main}
    environment_slug: ruby
  - name: docker
    git: {repo_clone_url: REPO, branch: main}
    dockerfile_path: Dockerfile
  - name: pulled
    image: {registry_type: DOCR, repository: api, tag: v1}
functions:
  - name: fn
    git: {repo_clone_url: REPO, branch: main}
"""


def repo_with(tmp_path: Path, files: dict[str, str], name: str = "repo") -> Path:
    repo = tmp_path / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, files, "initial")
    return repo


def test_slugs_listed_for_validation_are_those_of_the_buildpacks() -> None:
    assert SUPPORTED_SLUGS == plan.SUPPORTED_SLUGS
    assert [p.name for p in BUILDPACKS] == ["python", "node-js", "go", "html"]
    assert all(p.looks_for and p.title for p in BUILDPACKS)


def test_blockers_name_each_component_its_field_and_the_reason() -> None:
    doc = load_spec(SPEC.replace("REPO", "/nowhere"), "app.yaml")
    found = {f.component: f for f in plan.blockers(doc.spec)}
    assert set(found) == {"legacy"}, "a Dockerfile and an image build, from the spec alone"
    assert found["legacy"].loc == ("services", 1, "environment_slug")
    assert "supported: python, node-js, go, html" in found["legacy"].reason
    skipped = dict(plan.skipped(doc.spec))
    assert set(skipped) == {"legacy", "fn"} and not plan.nothing_to_run(doc.spec)


def test_on_the_server_what_the_machine_cannot_build_is_a_blocker_too() -> None:
    doc = load_spec(SPEC.replace("REPO", "/nowhere"), "app.yaml")
    found = {f.component: f for f in plan.blockers(doc.spec, plan.Host())}
    assert set(found) == {"legacy", "pulled"}
    assert found["pulled"].loc == ("services", 3, "image")
    assert "docr_registry" in found["pulled"].reason
    assert found["pulled"].code == "image.docr_unconfigured"
    assert {f.component for f in plan.blockers(doc.spec, plan.Host(
        docr_registry="registry.digitalocean.com/team"))} == {"legacy"}
    rootless = plan.Host(containers="Dockyard does not run as root")
    found = {f.component: f for f in plan.blockers(doc.spec, rootless)}
    assert set(found) == {"legacy", "docker", "pulled"}
    assert found["docker"].loc == ("services", 2, "dockerfile_path")
    assert "cannot do: Dockyard does not run as root" in found["docker"].reason
    issue = doc.issue(found["docker"].loc, found["docker"].reason)
    assert (issue.path, issue.line) == ("services[2].dockerfile_path", 10)


def test_a_dockerfile_wins_and_a_missing_one_is_named(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n",
                                "requirements.txt": "flask\n", "web/index.html": "hi\n"})
    text = SPEC.replace("REPO", str(repo))
    doc = load_spec(text, "app.yaml")
    with Peek() as peek:
        ref = source_ref("git", {"repo_clone_url": str(repo), "branch": "main"})
        files, root = peek.files(ref, None), peek.files(ref, None)
        loc, kind, web = plan.components(doc.spec)[0]
        found = plan.detect(loc, kind, web, files, root)
        assert (found.buildpack, found.reason) == ("dockerfile", "found Dockerfile")
        _loc, _kind, docker = plan.components(doc.spec)[2]
        assert plan.detect(loc, kind, docker, files, root).buildpack == "dockerfile"
        other = load_spec(text.replace("dockerfile_path: Dockerfile",
                                       "dockerfile_path: docker/Dockerfile"), "app.yaml")
        _loc, _kind, missing = plan.components(other.spec)[2]
        found = plan.detect(loc, kind, missing, files, root)
        assert not found.deployable and found.code == "build.dockerfile_missing"
        assert "dockerfile_path 'docker/Dockerfile' of 'docker' does not exist" in found.reason


def test_a_functions_only_app_has_nothing_to_run() -> None:
    text = "name: fns\nfunctions:\n  - name: fn\n    git: {repo_clone_url: /x, branch: main}\n"
    assert plan.nothing_to_run(load_spec(text).spec)


@pytest.mark.parametrize(("files", "kind", "buildpack", "reason"), [
    ({"package.json": "{}", "package-lock.json": "{}"}, "service", "node-js",
     "found package.json and package-lock.json"),
    ({"go.mod": "module x\n", "main.go": "package main"}, "service", "go", "found go.mod"),
    ({"requirements.txt": "django\n", "manage.py": ""}, "static_site", "python",
     "collectstatic"),
    ({"index.html": "<h1>hi</h1>"}, "static_site", "html", "as they are"),
])
def test_detection_at_the_branch_head_without_a_checkout(tmp_path, files, kind, buildpack,
                                                         reason) -> None:
    repo = repo_with(tmp_path, {f"app/{k}": v for k, v in files.items()})
    doc = load_spec(f"name: ab\n{kind}s:\n  - name: cc\n    git: {{repo_clone_url: {repo}}}\n"
                    "    source_dir: app\n")
    (loc, kind_, comp), = plan.components(doc.spec)
    with Peek() as peek:
        files_ = peek.files(source_ref("git", {"repo_clone_url": str(repo)}), "app")
        found = plan.detect(loc, kind_, comp, files_)
    assert found.deployable and found.buildpack == buildpack and reason in found.reason


def test_a_repository_without_build_files_says_what_was_looked_for_and_found(tmp_path) -> None:
    repo = repo_with(tmp_path, {"README.md": "hi", "src/main.rs": "fn main() {}",
                                "Cargo.toml": ""})
    doc = load_spec(f"name: ab\nservices:\n  - name: api\n    git: {{repo_clone_url: {repo}}}\n")
    (loc, kind, comp), = plan.components(doc.spec)
    with Peek() as peek:
        found = plan.detect(loc, kind, comp, peek.files(
            source_ref("git", {"repo_clone_url": str(repo)}), None))
    assert not found.deployable and found.code == "build.buildpack_not_detected"
    assert "looked for requirements.txt" in found.reason
    assert "package.json (Node.js)" in found.reason
    assert found.reason.endswith("found Cargo.toml, README.md, src/")


def test_peek_names_a_missing_source_dir_and_the_folders_there_are(tmp_path) -> None:
    repo = repo_with(tmp_path, {"web/index.html": "", "api/go.mod": "module a\n"})
    with Peek() as peek, pytest.raises(DockyardError) as err:
        peek.files(source_ref("git", {"repo_clone_url": str(repo)}), "frontend")
    assert err.value.code == "source.dir_missing"
    assert "folders at the root: api/, web/" in err.value.message


def test_peek_reads_manifests_and_follows_the_default_branch(tmp_path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "trunk")
    commit(repo, {"package.json": '{"name": "x"}'}, "initial")
    with Peek() as peek:
        files = peek.files(source_ref("git", {"repo_clone_url": str(repo)}), None)
        assert files.names() == frozenset({"package.json"})
        assert files.read("package.json") == '{"name": "x"}'
        assert files.read("missing.txt") is None
        root = peek.root
    assert not root.exists(), "the temporary repository is removed"


def test_peek_reports_an_unreachable_repository(tmp_path) -> None:
    with Peek() as peek, pytest.raises(DockyardError) as err:
        peek.files(source_ref("git", {"repo_clone_url": str(tmp_path / "none")}), None)
    assert err.value.code == "source.fetch_failed" and "could not look into" in err.value.message
