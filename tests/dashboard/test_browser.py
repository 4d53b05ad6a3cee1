"""The dashboard in a real browser against a real Dockyard: sign in, watch a deployment go
live, roll back, follow logs, edit the spec, read-only tokens, and a phone-sized screen.
(``test_operate.py`` has the rest: create, env editor, console, metrics, instances, pinned
rollbacks, jobs.)

The tests share one app and run in file order (the deploy test changes what is live).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dockyard.cli.progress import running_steps
from dockyard.deploy.progress import mark, new_progress
from tests.conftest import wait_for
from tests.dashboard.conftest import SECRET_PLAINTEXT, Site, app_page, sign_in
from tests.dashboard.pages import (
    TERMINAL,
    open_app,
    open_tab,
    roll_back,
    top_row,
    watch_phases,
)
from tests.e2e.conftest import commit, get, git

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def wait_logs_have(page: Any, text: str = "") -> None:
    """Until the log panel holds ``text`` (any non-blank text by default). Predicates are
    functions, not strings: the dashboard's CSP forbids the eval a string would need."""
    page.wait_for_function("t => document.querySelector('#log-lines').textContent.trim() "
                           "&& document.querySelector('#log-lines').textContent.includes(t)",
                           arg=text)


def wait_spec_has(page: Any, text: str) -> None:
    page.wait_for_function("t => document.querySelector('#spec-text').value.includes(t)",
                           arg=text)


def wait_live(site: Site, text: bytes, timeout: float = 30) -> None:
    url = site.app()["live_url"]
    wait_for(lambda: get(url)[1].startswith(text), f"{text!r} at {url}", timeout)


def test_a_wrong_token_is_refused_with_the_reason(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = new_page()
    page.goto(site.url + "/")
    page.wait_for_url(re.compile(r"/dashboard/signin"))
    shot(page, "signin")
    page.fill("#token", "dky_not-a-real-token")
    page.click("#signin-submit")
    error = page.locator("#signin-error")
    error.wait_for(state="visible")
    assert "Token refused" in error.inner_text()
    assert "valid API token is required" in error.inner_text()
    assert page.evaluate("sessionStorage.getItem('dockyard.token')") is None
    assert "/dashboard/signin" in page.url
    shot(page, "refused")


def test_sign_in_lists_apps_with_live_status_and_sign_out(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = new_page()
    sign_in(page, site)
    row = page.locator("#apps-body tr[data-app='dashdemo']")
    row.wait_for()
    assert row.locator("[data-phase]").count() >= 1
    assert row.locator("a[href^='http://127.0.0.1:']").inner_text() == site.app()["live_url"]
    first = page.inner_text("#refreshed")
    page.wait_for_function("t => document.querySelector('#refreshed').textContent !== t", arg=first,
                           timeout=6_000)  # the list reads the API again every 2 s
    shot(page, "apps")
    page.click("#signout")
    page.wait_for_url(re.compile(r"/dashboard/signin\?reason=signedout"))
    page.goto(site.url + "/dashboard/")
    page.wait_for_url(re.compile(r"/dashboard/signin"))
    shot(page, "signed-out")


def test_app_page_shows_components_envs_and_masks_secrets(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    page.wait_for_selector("#components tr")
    components = page.inner_text("#components")
    assert "service" in components and "web" in components and "2" in components
    shot(page, "app")
    open_tab(page, "env")
    key = page.locator("#env-scopes tr[data-key='API_KEY']")
    key.wait_for()
    assert "secret · set" in key.inner_text()
    assert "secret · set" in page.locator("tr[data-key='DB_PASSWORD']").inner_text()
    assert "hello" in page.locator("tr[data-key='GREETING']").inner_text()
    assert SECRET_PLAINTEXT not in page.content()
    assert "EV[" not in page.content()  # not even the ciphertext
    shot(page, "env")
    open_tab(page, "spec")
    wait_spec_has(page, "dashdemo")
    assert SECRET_PLAINTEXT not in page.content()
    assert SECRET_PLAINTEXT not in page.input_value("#spec-text")


def test_deploy_watch_phases_see_new_content_then_roll_back(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    first, _ = watch_phases(page, None)  # the initial deployment, from `apps create`
    assert first and site.deployments()[0]["phase"] == "ACTIVE", site.deployments()[0]
    wait_live(site, b"version=v0")
    shot(page, "initial-active")

    commit(site.repo, {"version.txt": "dashboard-v2\n"})
    page.click("#deploy")
    page.locator("#flash").wait_for(state="visible")
    page.wait_for_selector("#in-progress", timeout=10_000)
    shot(page, "deploying")
    new, phases = watch_phases(page, first)
    assert phases[-1] == "ACTIVE", phases
    assert phases[0] in {"PENDING_BUILD", "BUILDING", "PENDING_DEPLOY", "DEPLOYING"}, phases
    wait_live(site, b"version=dashboard-v2")
    page.wait_for_selector(f"#status [data-deployment='{new}'] [data-phase='ACTIVE']")
    shot(page, "deployed")

    page.select_option("#log-type", "BUILD")
    wait_logs_have(page)
    shot(page, "build-logs")

    roll_back(page, pin=False)  # unpinned: the next tests deploy again
    page.locator("#flash:has-text('Rollback started')").wait_for()
    back, phases = watch_phases(page, new)
    assert phases[-1] == "ACTIVE", phases
    wait_live(site, b"version=v0")
    dep = next(d for d in site.deployments() if d["id"] == back)
    assert dep["cloned_from"] == first
    shot(page, "rolled-back")


def test_cancel_shows_only_while_deploying_and_keeps_the_live_release(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    latest, _ = watch_phases(page, None)
    assert page.is_hidden("#cancel")
    commit(site.repo, {"version.txt": "never-live\n"})
    page.click("#deploy")
    page.wait_for_selector("#in-progress")
    assert page.is_visible("#cancel")
    page.click("#cancel")  # confirm() accepted by the fixture
    page.locator("#flash:has-text('canceled')").wait_for()
    canceled, phases = watch_phases(page, latest)
    assert phases[-1] == "CANCELED", phases
    page.wait_for_selector("#cancel", state="hidden")
    shot(page, "canceled")
    assert site.deployments()[0]["id"] == canceled
    wait_live(site, b"version=v0")  # what was live before still is
    # and stays: the app's deployments run one after another in one engine thread, so once
    # a restart (of the live release) has ended, nothing of the canceled one can still switch.
    restart = site.platform.request("POST", f"/v2/apps/{site.app()['id']}/restart",
                                    {}).body["deployment"]
    wait_for(lambda: site.deployment(restart["id"])["phase"] in TERMINAL,
             "the restart after the cancel to end", 180, interval=0.2)
    assert site.deployment(canceled)["phase"] == "CANCELED"
    assert get(site.app()["live_url"])[1].startswith(b"version=v0")


def test_a_failed_deployment_shows_why_and_the_old_one_serves(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    latest, _ = watch_phases(page, None)
    live_before = get(site.app()["live_url"])[1].split(b" ")[0]
    commit(site.repo, {"unhealthy": "the health check answers 500\n"})
    page.click("#deploy")
    failed, phases = watch_phases(page, latest)
    assert phases[-1] == "ERROR", phases
    box = page.locator("#last-error")
    box.wait_for()
    assert "Last deployment failed" in box.inner_text()
    reason = site.deployments()[0]["error"]["message"]
    assert reason and reason in box.inner_text()
    assert "kept serving" in box.inner_text()
    shot(page, "failed")
    assert get(site.app()["live_url"])[1].split(b" ")[0] == live_before
    git(site.repo, "rm", "-q", "unhealthy")
    git(site.repo, "commit", "-q", "-m", "healthy again")


def test_logs_panel_follows_the_selected_deployment(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    wait_logs_have(page)
    assert page.get_attribute("#log-status", "data-state") == "live"  # RUN logs keep going
    page.select_option("#log-type", "DEPLOY")
    wait_logs_have(page, "Phase ACTIVE")
    shot(page, "deploy-log")
    oldest = page.locator("#deployments tr[data-deployment]").last
    oldest.locator("button:text('Logs')").click()
    page.wait_for_selector("#deployments tr.selected:last-child")
    page.wait_for_function("() => document.querySelector('#log-status').dataset.state === 'done'")
    assert "-----> " in page.inner_text("#log-lines")
    shot(page, "selected-deployment-log")


def test_validate_shows_spec_errors_with_field_paths(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    open_tab(page, "spec")
    wait_spec_has(page, "dashdemo")
    good = page.input_value("#spec-text")
    page.fill("#spec-text", good.replace("instance_count: 2", "instance_count: many"))
    page.click("#spec-validate")
    page.wait_for_selector("#spec-result.spec-error")
    assert "services[0].instance_count" in page.inner_text("#spec-result")
    shot(page, "invalid")
    page.wait_for_timeout(2_500)  # a refresh must not throw the user's edits away
    assert "instance_count: many" in page.input_value("#spec-text")
    page.click("#spec-reset")
    assert page.input_value("#spec-text") == good
    page.fill("#spec-text", good + "region: nyc\n")
    page.click("#spec-validate")
    page.wait_for_selector("#spec-result.spec-ok")
    assert 'region "nyc": recorded' in page.inner_text("#spec-result")  # propose's notes
    shot(page, "valid-with-notes")


def test_read_only_token_cannot_deploy_and_buttons_are_disabled(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    token = site.platform.cli("tokens", "create", "dash-viewer", "--read-only",
                              "-o", "json").json()["token"]
    before = [d["id"] for d in site.deployments()]
    page = app_page(new_page, site, token=token)
    # whoami at sign-in says the token is read-only: writes are disabled before any click
    for button in ("#deploy", "#rollback"):
        assert page.is_disabled(button), button
    open_tab(page, "spec")
    assert page.is_disabled("#spec-save")
    assert page.is_visible("#readonly-badge")
    assert [d["id"] for d in site.deployments()] == before  # nothing was deployed
    shot(page, "read-only")
    site.platform.cli("tokens", "revoke", "dash-viewer")
    page.wait_for_url(re.compile(r"/dashboard/signin\?.*reason=expired"), timeout=10_000)
    assert "refused the saved token" in page.inner_text("#signin-error")
    shot(page, "revoked")


def test_phone_viewport_reads_without_sideways_scrolling(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = new_page(390, 844)
    sign_in(page, site)
    page.locator("#apps-body tr[data-app='dashdemo']").wait_for()
    shot(page, "apps")
    open_app(page, site)
    wait_logs_have(page)
    shot(page, "app-first-screen", full_page=False)
    for _ in range(2):
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
    assert page.locator("#deployments thead").is_hidden()  # rows become labelled cards
    shot(page, "app")


def test_save_spec_starts_a_deployment(site: Site, new_page, shot):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    latest = top_row(page)
    open_tab(page, "spec")
    wait_spec_has(page, "value: demo")
    text = page.input_value("#spec-text").replace("value: demo", "value: edited-in-dashboard")
    page.fill("#spec-text", text)
    page.click("#spec-save")
    page.wait_for_selector("#spec-result.spec-ok")
    assert "Saved as spec version 2" in page.inner_text("#spec-result")
    open_tab(page, "")
    dep_id, phases = watch_phases(page, latest["id"] if latest else None)
    assert phases[-1] == "ACTIVE", phases
    open_tab(page, "env")
    page.wait_for_function("() => (document.querySelector(\"tr[data-key='MODE'] .env-value\") "
                           "|| {}).textContent === 'edited-in-dashboard'")
    deps = site.deployments()
    assert deps[0]["id"] == dep_id and deps[0]["cause"] == "app spec updated"
    assert "edited-in-dashboard" in site.app()["dockyard"]["spec_yaml"]
    assert SECRET_PLAINTEXT not in json.dumps(site.app())
    shot(page, "saved")


def test_step_labels_are_the_ones_the_cli_prints(site: Site, new_page):  # type: ignore[no-untyped-def]
    """The page's running-step labels come from the same progress tree as `--wait`'s."""
    def tree(*marks: tuple[tuple[str, ...], str]) -> dict[str, Any]:
        progress = new_progress([("service", "web"), ("static_site", "docs"), ("job", "migrate")])
        for path, status in marks:
            mark(progress, path, status)
        return progress

    trees = [tree(), tree((("build", "components"), "RUNNING")),
             tree((("build",), "SUCCESS"), (("deploy", "initialize"), "RUNNING")),
             tree((("build",), "SUCCESS"), (("deploy", "components", "web"), "RUNNING"))]
    page = new_page()
    page.goto(site.url + "/dashboard/signin")
    for tree in trees:
        labels = page.evaluate("""async (progress) => {
            const m = await import('/dashboard/static/deployments.js');
            return m.runningSteps(progress); }""", json.loads(json.dumps(tree)))
        assert labels == running_steps(tree)
    assert "Building static site docs" in running_steps(trees[1])
