"""Dashboard fixtures: a Dockyard with one small app, and a headless Debian Chromium driven by
Playwright. Every step writes a screenshot to ``test-artifacts/dashboard/`` (``both`` takes it
at desktop width, 1280×800, and at phone width, 390×844)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Platform, make_repo, new_platform, stop

APP = ROOT / "tests" / "apps" / "zero_downtime"
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT_MS = 15_000  # every Playwright wait gives up after this, so nothing hangs
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SECRET_PLAINTEXT = "hunter2-dashboard-secret"
SPEC_ENVS = f"""envs:
  - key: GREETING
    value: hello
  - key: API_KEY
    value: {SECRET_PLAINTEXT}
    type: SECRET
"""
COMPONENT_ENVS = """    envs:
      - key: DB_PASSWORD
        value: component-secret-value
        type: SECRET
        scope: RUN_TIME
      - key: MODE
        value: demo
"""


@dataclass
class Site:
    """A running Dockyard with the app ``dashdemo`` (zero_downtime's WSGI app)."""

    platform: Platform
    repo: Path
    spec: Path
    url: str
    token: str

    def app(self) -> dict[str, Any]:
        return self.platform.request("GET", "/v2/apps/?name=dashdemo").body["app"]

    def deployments(self) -> list[dict[str, Any]]:
        app_id = self.app()["id"]
        return self.platform.request("GET", f"/v2/apps/{app_id}/deployments").body["deployments"]

    def deployment(self, dep_id: str) -> dict[str, Any]:
        app_id = self.app()["id"]
        return self.platform.request("GET", f"/v2/apps/{app_id}/deployments/{dep_id}"
                                     ).body["deployment"]


def demo_spec() -> str:
    """zero_downtime's spec as app ``dashdemo``, plus app and component env vars (2 SECRET)."""
    text = (APP / "app.yaml").read_text().replace("name: zerodown", "name: dashdemo")
    text = text.replace("repo: example/zerodown", "repo: example/dashdemo")
    text = text.replace("alerts:\n", SPEC_ENVS + "alerts:\n", 1)
    text = text.replace("    instance_count: 2\n", "    instance_count: 2\n" + COMPONENT_ENVS)
    # the test app's health gate (15 attempts) is long enough that the page shows its
    # failed attempts while it waits
    return text + JOB


# A scheduled job of the same repository: each minute, 40 s of work (one to cancel, a log).
JOB = """jobs:
  - name: tick
    kind: SCHEDULED
    schedule:
      cron: "* * * * *"
    environment_slug: python
    github:
      repo: example/dashdemo
      branch: main
    run_command: echo "tick at $(date +%H:%M:%S)"; sleep 40; echo done
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Dockyard up with ``dashdemo`` created; its first deployment may still be running."""
    root = tmp_path_factory.mktemp("dashboard")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0", DOCKYARD_METRICS_SECONDS="5")
    repo = make_repo(root / "dashdemo", APP)
    platform.map_url("https://github.com/example/dashdemo.git", repo)
    spec = root / "app.yaml"
    spec.write_text(demo_spec())
    platform.cli("up")
    try:
        platform.cli("apps", "create", "--spec", str(spec))
        yield Site(platform, repo, spec, platform.api_url, platform.admin_token)
    finally:
        stop(platform)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; fails with the install command when it is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the dashboard tests need Playwright: uv add --dev playwright")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(width, height)``: a fresh context (own sessionStorage) per call; JS errors
    on the page, and any request to another host, fail the test."""
    contexts: list[Any] = []
    errors: list[str] = []
    elsewhere: list[str] = []

    def local(url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost")

    def make(width: int = DESKTOP["width"], height: int = DESKTOP["height"]) -> Any:
        context = browser.new_context(ignore_https_errors=True,
                                      viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.on("request", lambda req: None if local(req.url) else elsewhere.append(req.url))
        page.on("websocket", lambda ws: None if local(ws.url) else elsewhere.append(ws.url))
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert elsewhere == [], f"the page reached another host: {elsewhere}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # emptied once per run (tests/conftest.py)
    return ARTIFACTS


@pytest.fixture
def shot(artifacts: Path, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``shot(page, "step")`` saves ``<test name>-NN-step.png`` (the whole page by default)."""
    test = re.sub(r"^test_", "", request.node.name)
    count = [0]

    def take(page: Any, step: str, *, full_page: bool = True) -> Path:
        count[0] += 1
        path = artifacts / f"{test}-{count[0]:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page, timeout=WAIT_MS)
        return path

    return take


@pytest.fixture
def both(shot):  # type: ignore[no-untyped-def]
    """``both(page, "step")``: the page at desktop width, then at phone width (where nothing
    may scroll sideways), then back to desktop."""

    def take(page: Any, step: str) -> None:
        for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(300)  # charts follow their box on the next frame
            if name == "phone":
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{step}: {width}px wide on a 390px screen"
            shot(page, f"{step}-{name}")
        page.set_viewport_size(DESKTOP)

    return take


def sign_in(page: Any, site: Site, token: str | None = None, path: str = "/") -> None:
    """Open ``path``, land on the sign-in page, and sign in (the admin token by default)."""
    page.goto(site.url + path)
    page.wait_for_url(re.compile(r"/dashboard/signin"))
    page.fill("#token", token or site.token)
    page.click("#signin-submit")
    page.wait_for_url(re.compile(r"/dashboard/(apps/.+)?$"))


def app_page(new_page: Any, site: Site, tab: str = "", token: str | None = None) -> Any:
    """A new browser page, signed in (the admin token by default), on the app's ``tab``."""
    from tests.dashboard.pages import open_app, open_tab

    page = new_page()
    sign_in(page, site, token)
    open_app(page, site)
    if tab:
        open_tab(page, tab)
    return page
