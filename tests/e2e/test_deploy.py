"""Deploy the book's app end to end: real git, uv, supervisord, HAProxy, nginx, gunicorn."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, wait_for
from tests.e2e.conftest import (
    Platform,
    answers,
    commit,
    example_spec,
    get,
    git,
    make_repo,
    own_example,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(platform: Platform, profile_repo: Path) -> dict:
    """The example app deployed from its unmodified config/app.yaml. Tests only read it (and
    ``profile_repo``); a test that changes what is live deploys an app of its own, so every
    test passes alone and in any order."""
    platform.deploy_spec(EXAMPLE / "config" / "app.yaml")
    return platform.app("profileapp")


def test_example_app_serves_its_page(live: dict):
    status, body, _ = get(live["live_url"], "/")
    assert status == 200
    assert b"<h1>ProfileApp</h1>" in body
    assert live["active_deployment"]["phase"] == "ACTIVE"


@pytest.mark.parametrize("rel", ["css/style.css", "images/headshot.png", "images/avatar.svg"])
def test_static_files_are_byte_identical_to_the_repo(live: dict, profile_repo: Path, rel: str):
    status, body, _ = get(live["live_url"], f"/static/{rel}")
    assert status == 200
    assert body == (profile_repo / "static" / rel).read_bytes()


def test_app_answers_on_its_localhost_name(live: dict, platform: Platform):
    port = platform.status["router_port"]
    status, body, _ = get(f"http://127.0.0.1:{port}", "/", host=f"profileapp.localhost:{port}")
    assert status == 200 and b"ProfileApp" in body


@pytest.mark.parametrize("path", ["/static/../config/settings.py", "/static/%2e%2e/manage.py",
                                  "/static/%2e%2e%2fmanage.py", "/static/css/../../manage.py"])
def test_static_path_traversal_is_refused(live: dict, path: str):
    status, body, _ = get(live["live_url"], path)
    assert status in (400, 403, 404), (status, body[:200])
    assert b"SECRET_KEY" not in body and b"django" not in body.lower()


def test_deployment_records_the_commit_of_each_component(live: dict, platform: Platform,
                                                         profile_repo: Path):
    dep = platform.cli("apps", "get-deployment", "profileapp", live["active_deployment"]["id"],
                       "--output", "json").json()[0]
    head = git(profile_repo, "rev-parse", "HEAD")
    assert dep["services"][0]["source_commit_hash"] == head
    assert dep["static_sites"][0]["source_commit_hash"] == head


def test_logs_are_kept_per_deployment(live: dict, platform: Platform):
    build = platform.cli("apps", "logs", "profileapp", "web", "--type", "build").out
    assert "-----> " in build and "python" in build.lower()
    deploy = platform.cli("apps", "logs", "profileapp", "--type", "deploy").out
    assert "healthy" in deploy
    run = platform.cli("apps", "logs", "profileapp", "web", "--type", "run").out
    assert "migrat" in run.lower()


def test_warm_redeploy_serves_the_new_commit(platform: Platform, tmp_path: Path):
    app, repo = own_example(platform, tmp_path, "warm")
    template = repo / "pages" / "templates" / "pages" / "index.html"
    text = template.read_text()
    commit(repo, {str(template.relative_to(repo)): text.replace(
        "{% block content %}", "{% block content %}<p>warm-change-1</p>", 1)})
    first = app["active_deployment"]["id"]
    dep = platform.cli("apps", "create-deployment", "warm", "--wait", "--output",
                       "json").json()[0]
    assert dep["phase"] == "ACTIVE"
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"warm-change-1" in body
    old = platform.cli("apps", "get-deployment", "warm", first, "--output", "json").json()[0]
    assert old["phase"] == "SUPERSEDED"
    old_build = platform.cli("apps", "logs", "warm", "web", "--type", "build",
                             "--deployment", first).out
    assert old_build.strip()
    assert "Reusing environment" in platform.cli("apps", "logs", "warm", "web", "--type",
                                                 "build").out


def test_bad_requirement_fails_the_build_and_old_release_keeps_serving(
        platform: Platform, tmp_path: Path):
    app, repo = own_example(platform, tmp_path, "badreq")
    before = get(app["live_url"], "/")
    commit(repo, {"requirements.txt": (repo / "requirements.txt").read_text()
                  + "this-package-does-not-exist-dockyard==9.9.9\n"})
    result = platform.cli("apps", "create-deployment", "badreq", "--wait", check=False)
    assert result.code != 0
    assert "this-package-does-not-exist-dockyard" in result.err
    deps = platform.cli("apps", "list-deployments", "badreq", "--output", "json").json()
    assert deps[0]["phase"] == "ERROR" and deps[1]["phase"] == "ACTIVE"
    build_log = platform.cli("apps", "logs", "badreq", "web", "--type", "build",
                             "--deployment", deps[0]["id"]).out
    assert "this-package-does-not-exist-dockyard" in build_log
    after = get(app["live_url"], "/")
    assert after[0] == 200 and after[1] == before[1]


def test_missing_source_dir_names_it_and_lists_what_exists(platform: Platform,
                                                           profile_repo: Path, tmp_path: Path):
    spec = example_spec(tmp_path, "nodir", lambda s: s.replace("source_dir: static",
                                                           "source_dir: statik"))
    result = platform.deploy_spec(spec, check=False)
    assert result.code != 0
    assert "statik" in result.err
    for existing in ("static", "config", "pages"):
        assert existing in result.err


def test_two_instances_run_as_two_processes_behind_the_route(platform: Platform,
                                                             profile_repo: Path,
                                                             tmp_path: Path):
    spec = example_spec(tmp_path, "twoinst", lambda s: s.replace("instance_count: 1",
                                                             "instance_count: 2"))
    platform.deploy_spec(spec)
    app = platform.app("twoinst")
    processes = platform.status["processes"]
    web = {n: p for n, p in processes.items()
           if n.startswith(f"i-{app['id'][:8]}-web-") and p["state"] == "RUNNING"}
    assert len(web) == 2 and len({p["pid"] for p in web.values()}) == 2
    for _ in range(20):
        assert get(app["live_url"], "/health/")[0] == 200
    run = platform.cli("apps", "logs", "twoinst", "web", "--type", "run").out
    served_by = {line.split()[0] for line in run.splitlines() if "/health/" in line}
    assert served_by == {"web-0", "web-1"}


def test_book_spec_with_github_source_dir_deploys_unmodified(platform: Platform,
                                                             tmp_path: Path):
    """The book's layout: the app in 02/ProfileApp of a GitHub repo (url.insteadOf → local)."""
    book = tmp_path / "book"
    (book / "02").mkdir(parents=True)
    shutil.copytree(EXAMPLE, book / "02" / "ProfileApp",
                    ignore=shutil.ignore_patterns("db.sqlite3", "__pycache__", "staticfiles"))
    (book / "01").mkdir()
    (book / "01" / "README.md").write_text("chapter 1\n")
    repo = make_repo(tmp_path / "PythonWebApps", book)
    platform.map_url("https://github.com/book-author/PythonWebApps.git", repo)
    text = (EXAMPLE / "config" / "app.yaml").read_text()
    text = text.replace("name: profileapp", "name: book-profile", 1)
    text = text.replace("example/profileapp", "book-author/PythonWebApps")
    text = text.replace("source_dir: /", "source_dir: 02/ProfileApp")
    text = text.replace("source_dir: static", "source_dir: 02/ProfileApp/static")
    spec = tmp_path / "app.yaml"
    spec.write_text(text)
    platform.deploy_spec(spec)
    app = platform.app("book-profile")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"ProfileApp" in body
    css = get(app["live_url"], "/static/css/style.css")
    assert css[1] == (repo / "02/ProfileApp/static/css/style.css").read_bytes()


def test_apps_come_back_at_the_same_url_after_down_and_up(live: dict, platform: Platform):
    url = platform.app("profileapp")["live_url"]
    platform.cli("down")
    platform.cli("up")
    wait_for(lambda: answers(url, "/", b"ProfileApp"), f"{url} to serve after down and up", 120,
             interval=0.2)
    assert platform.app("profileapp")["live_url"] == url
    assert re.match(r"http://127\.0\.0\.1:\d+$", url)


def test_log_urls_are_signed_and_stream_server_sent_events(live: dict, platform: Platform):
    import ssl
    import urllib.error
    import urllib.request

    dep = live["active_deployment"]["id"]
    urls = platform.request("GET", f"/v2/apps/{live['id']}/deployments/{dep}/logs"
                                   "?type=DEPLOY&follow=true").body
    ctx = ssl.create_default_context(cafile=str(platform.home / "tls" / "ca.pem"))
    with urllib.request.urlopen(urls["live_url"] + "&format=sse", context=ctx,
                                timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        events = resp.read().decode()
    assert "data: -----> Phase ACTIVE" in events
    assert events.endswith("event: end\ndata: end\n\n")
    tampered = urls["live_url"].replace(dep, live["id"])
    try:
        urllib.request.urlopen(tampered, context=ctx, timeout=10)
        raise AssertionError("a tampered log URL was served")
    except urllib.error.HTTPError as err:
        assert err.code in (403, 404)
