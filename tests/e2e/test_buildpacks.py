"""Apps DigitalOcean builds with its Node.js, Go and Python buildpacks, deployed unmodified
through a real Dockyard (real git, node/npm, go, uv, supervisord, HAProxy, nginx).

Each app under ``tests/apps/`` is committed to a local repository that git reaches as
``https://github.com/example/<name>.git`` (``url.insteadOf``), and deployed from a spec as a
user would write it for App Platform.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.e2e.conftest import Platform, build_log, commit, deploy_app, get

pytestmark = pytest.mark.slow



def source(name: str) -> str:
    return (f"    github:\n      repo: example/{name}\n      branch: main\n"
            "      deploy_on_push: true\n")


def redeploy(platform: Platform, app: dict) -> dict:
    platform.cli("apps", "create-deployment", app["name"], "--wait")
    return {**app, **platform.app(app["name"])}


def test_express_service_and_a_code_only_commit_that_reuses_node_modules(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="node_express",
                     spec="name: node-express\nservices:\n"
                          "  - name: web\n    environment_slug: node-js\n" +
                          source("node-express") +
                          "    http_port: 8080\n    routes:\n      - path: /\n"
                          "    health_check:\n      http_path: /health\n")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"<h1>Hello from Express</h1>" in body
    assert b"NODE_ENV=production" in body
    first = build_log(platform, "node-express", "web")
    assert "Node.js buildpack for service 'web' (environment_slug: node-js)" in first
    assert "Using Node.js" in first and "Creating node_modules" in first
    assert "Default run command: npm start (from package.json start script)" in first

    commit(app["repo"], {"message.txt": "Hello after a code-only commit\n"})
    app = redeploy(platform, app)
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"Hello after a code-only commit" in body
    second = build_log(platform, "node-express", "web")
    assert "Reusing node_modules" in second and "Installing dependencies" not in second


def test_react_style_static_site_is_built_by_its_build_script_and_served(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="node_static_build",
                     spec="name: react-site\nstatic_sites:\n"
                          "  - name: site\n" + source("react-site") +
                          "    catchall_document: index.html\n    routes:\n      - path: /\n")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b'<div id="root"></div>' in body
    assert b'content="esbuild, NODE_ENV=production"' in body
    status, bundle, _ = get(app["live_url"], "/static/js/main.js")
    assert status == 200 and b"Hello from a React-style build" in bundle
    status, spa, _ = get(app["live_url"], "/profile/settings")
    assert status == 200 and spa == body, "client-side routes get the SPA page"
    status, other, _ = get(app["live_url"], "/package.json")
    assert other == body and b"devDependencies" not in other, "only build/ is published"
    log = build_log(platform, "react-site", "site")
    assert "Running the build script: npm run build" in log
    assert "Publishing build/ as the site (2 files)" in log


def test_websocket_messages_flow_through_the_router_and_outlive_another_apps_redeploy(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="node_websocket",
                     spec="name: ws-echo\nservices:\n"
                          "  - name: ws\n" + source("ws-echo") + "    routes:\n"
                          "      - path: /\n")
    url = app["live_url"].replace("http://", "ws://") + "/ws"
    with connect(url, open_timeout=10) as ws:
        assert ws.recv(timeout=10) == "v1: hello"
        ws.send("through the router")
        assert ws.recv(timeout=10) == "v1: through the router"
        opened = time.monotonic()
        # Another app appears (HAProxy reloads: a new frontend) and is redeployed (swap).
        other = deploy_app(platform, tmp_path / "other", fixture="go_service",
                           spec="name: ws-neighbour\n"
                                "services:\n  - name: web\n" + source("ws-neighbour") +
                                "    routes:\n      - path: /\n")
        redeploy(platform, other)
        assert get(other["live_url"], "/")[0] == 200
        idle = 11 - (time.monotonic() - opened)
        if idle > 0:  # an idle WebSocket must outlive HAProxy's keep-alive timeout (10 s)
            time.sleep(idle)
        ws.send("still open")
        assert ws.recv(timeout=10) == "v1: still open"


def test_go_service_with_a_procfile_and_a_code_only_commit_that_reuses_its_modules(
        platform: Platform, tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="go_service",
                     spec="name: go-greeter\nservices:\n"
                          "  - name: web\n" + source("go-greeter") +
                          "    http_port: 8080\n    routes:\n      - path: /\n"
                          "    health_check:\n      http_path: /health\n")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b"<h1>Hello from Go</h1>" in body
    log = build_log(platform, "go-greeter", "web")
    assert "Go buildpack for service 'web' (found go.mod)" in log
    assert "Default run command: bin/greeter (from Procfile 'web:' line)" in log

    commit(app["repo"], {"internal/greeting/greeting.go": "package greeting\n\n"
                         "// Text is the page's heading.\nconst Text = \"Hello, redeployed\"\n"})
    app = redeploy(platform, app)
    assert b"Hello, redeployed" in get(app["live_url"], "/")[1]
    assert "Reusing Go modules" in build_log(platform, "go-greeter", "web")


def test_django_app_whose_old_gunicorn_needs_pkg_resources(platform: Platform,
                                                           tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="django_old_gunicorn",
                     spec="name: old-gunicorn\nservices:\n"
                          "  - name: web\n    environment_slug: python\n" +
                          source("old-gunicorn") + "    routes:\n      - path: /\n")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200
    assert body == b"hello from django_old_gunicorn, gunicorn 20.1.0"
    log = build_log(platform, "old-gunicorn", "web")
    assert "Installing setuptools 70.3.0 and wheel 0.44.0" in log


def test_django_static_site_is_built_by_the_python_buildpack(platform: Platform,
                                                             tmp_path: Path) -> None:
    app = deploy_app(platform, tmp_path, fixture="django_static_site",
                     spec="name: django-assets\nservices:\n"
                          "  - name: web\n" + source("django-assets") +
                          "    routes:\n      - path: /\nstatic_sites:\n  - name: assets\n" +
                          source("django-assets") + "    output_dir: staticfiles\n"
                          "    routes:\n      - path: /static\n")
    status, body, _ = get(app["live_url"], "/")
    assert status == 200 and b'href="/static/css/site.css"' in body
    status, css, _ = get(app["live_url"], "/static/css/site.css")
    assert status == 200 and css == b"h1 { color: rebeccapurple; }\n"
    assert get(app["live_url"], "/static/admin/css/base.css")[0] == 200
    log = build_log(platform, "django-assets", "assets")
    assert "Python buildpack for static_site 'assets'" in log
    assert "collectstatic --noinput" in log and "Publishing staticfiles/" in log
