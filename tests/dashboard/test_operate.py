"""Running an app from the dashboard, in a real browser against a real Dockyard: create an
app from a spec, edit env vars and watch the deployment go live, see health-check attempts
while a deploy waits, run a command in the console, see a chart move under load, restart,
pin a rollback then commit or revert it, job invocations, paged deployments, and what a
read-only token may do. Each page is photographed at desktop and phone width (``both``).

The tests share one Dockyard and the app ``dashdemo``, and run in file order.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.dashboard.conftest import APP, SECRET_PLAINTEXT, Site, app_page, sign_in
from tests.dashboard.pages import open_app, open_tab, roll_back, watch_phases
from tests.e2e.conftest import commit, get, make_repo
from tests.e2e.load import LoadLoop

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
NEW_GREETING = "changed-in-the-dashboard"
BREAKS_ON_MODE = """
if os.environ.get("MODE") == "never-live":  # a bad setting: the health check fails
    HEALTHY = False
"""


def live_value(page: Any, key: str) -> str | None:
    return page.evaluate("k => { const v = document.querySelector(`#env-scopes tr[data-key='${k}'] "
                         ".env-value, #env-scopes tr[data-key='${k}'] [data-secret]`); "
                         "return v ? v.textContent : null; }", key)


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def api(site: Site, method: str, path: str, body: Any = None) -> Any:
    resp = site.platform.request(method, path, body)
    assert resp.status == 200, resp.body
    return resp.body


def test_create_an_app_from_a_spec_validated_before_it_is_sent(site: Site, new_page, both,  # type: ignore[no-untyped-def]
                                                               tmp_path):
    repo = make_repo(tmp_path / "dashnew", APP)
    site.platform.map_url("https://github.com/example/dashnew.git", repo)
    good = (APP / "app.yaml").read_text().replace("name: zerodown", "name: dashnew") \
        .replace("repo: example/zerodown", "repo: example/dashnew")
    page = new_page()
    sign_in(page, site)
    page.click("#create-app")
    page.wait_for_url(re.compile(r"/dashboard/new$"))
    page.fill("#spec-text", good.replace("instance_count: 2", "instance_count: many"))
    page.click("#new-create")  # Create validates first: nothing is sent
    page.wait_for_selector("#spec-result.spec-error")
    assert "services[0].instance_count" in page.inner_text("#spec-result")
    assert "line " in page.inner_text("#spec-result")
    assert not site.platform.request("GET", "/v2/apps/?name=dashnew").status == 200
    both(page, "create-invalid")

    spec = tmp_path / "app.yaml"
    spec.write_text(good)
    page.set_input_files("#spec-file", str(spec))  # upload: read into the editor, validated
    page.wait_for_selector("#spec-result.spec-ok:has-text('app dashnew')")
    assert page.input_value("#spec-text") == good
    both(page, "create-valid")
    page.click("#new-create")
    page.wait_for_url(re.compile(r"/dashboard/apps/[0-9a-f-]+$"))
    page.wait_for_selector("#deployments tr[data-deployment]")
    assert page.inner_text("#app-name") == "dashnew"
    _dep, phases = watch_phases(page, None)
    assert phases[-1] == "ACTIVE", phases
    assert get(site.platform.request("GET", "/v2/apps/?name=dashnew").body["app"]["live_url"])[1] \
        .startswith(b"version=v0")
    both(page, "created-app")


def test_env_change_goes_live_and_secrets_stay_write_only(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site, "env")
    page.wait_for_selector("#env-source:has-text('live deployment')", timeout=180_000)
    page.wait_for_function("() => document.querySelector('#env-scopes tr[data-key=GREETING]')")
    assert live_value(page, "GREETING") == "hello"
    assert live_value(page, "API_KEY") == "secret · set"
    both(page, "env")
    page.click("[data-edit='']")
    row = page.locator(".env-edit-row[data-key='GREETING']")
    row.locator(".env-input").fill(NEW_GREETING)
    secret = page.locator(".env-edit-row[data-key='API_KEY'] .env-input")
    assert secret.input_value() == "" and secret.get_attribute("type") == "password"
    page.click("[data-env-add]")
    added = page.locator(".env-edit-row").last
    added.locator(".env-key").fill("NEW_TOKEN")
    added.locator("select[aria-label='Type']").select_option("SECRET")
    added.locator(".env-input").fill("typed-secret-value")
    both(page, "env-editing")
    page.click("[data-env-save]")
    page.locator("#flash:has-text('started')").wait_for()
    page.wait_for_selector("#env-deploying")  # the live values stay until it is live
    assert live_value(page, "GREETING") == "hello"
    both(page, "env-deploying")
    wait_for(lambda: live_value(page, "GREETING") == NEW_GREETING, "the new value live", 180, 0.5)
    assert live_value(page, "NEW_TOKEN") == "secret · set"
    app = site.app()
    assert app["active_deployment"]["cause"] == "app spec updated"
    yaml = app["dockyard"]["spec_yaml"]
    assert yaml.startswith("# A service behind the router")  # the user's comments survive
    assert f"value: {NEW_GREETING}" in yaml and "typed-secret-value" not in yaml
    assert "typed-secret-value" not in page.content() and SECRET_PLAINTEXT not in page.content()
    assert "EV[" not in page.content()
    both(page, "env-live")


def test_env_view_shows_live_values_while_a_deploy_fails_with_its_attempts(site: Site, new_page,  # type: ignore[no-untyped-def]
                                                                            both):
    """A bad value breaks the app: its deployment fails at the health gate, and the env page
    goes on showing what the live release runs with."""
    code = (APP / "app.py").read_text() + BREAKS_ON_MODE
    commit(site.repo, {"app.py": code})
    page = app_page(new_page, site)
    live = site.app()["active_deployment"]["id"]
    page.click("#deploy")  # ship the code that reads MODE (an env edit keeps the commit)
    assert watch_phases(page, live)[1][-1] == "ACTIVE"
    before = site.deployments()[0]["id"]
    open_tab(page, "env")
    page.wait_for_function("() => document.querySelector('#env-scopes tr[data-key=MODE]')")
    page.click("[data-edit='web']")
    page.locator(".env-edit-row[data-key='MODE'] .env-input").fill("never-live")
    page.click("[data-env-save]")
    page.locator("#flash:has-text('started')").wait_for()
    open_tab(page, "")
    # the health gate's failed attempts show while it waits (each progress step's detail)
    attempt = re.compile(r"web-\d: health check attempt \d+ of 15 failed \(GET /health.*\): "
                         r"HTTP 500")

    def shown() -> str | None:
        texts = page.locator("#running-steps .step-detail").all_inner_texts()
        return next((t for t in texts if attempt.search(t)), None)

    wait_for(shown, "a failed health-check attempt on the page", 120, 0.2)
    both(page, "health-attempts")
    page.select_option("#log-type", "DEPLOY")
    page.wait_for_function("() => document.querySelector('#log-lines').textContent"
                           ".includes('health check attempt')")
    _failed, phases = watch_phases(page, before)
    assert phases[-1] == "ERROR", phases
    page.locator("#last-error:has-text('Last attempt')").wait_for()
    open_tab(page, "env")
    page.wait_for_function("() => document.querySelector('#env-scopes tr[data-key=MODE]')")
    assert live_value(page, "MODE") == "demo"  # what runs, not the failed deployment's spec
    assert "never-live" in page.inner_text("#env-scopes tr[data-key='MODE']")  # marked as not live
    assert "did not go live" in page.inner_text("#env-notice")
    both(page, "env-after-failure")


def test_console_runs_a_command_in_the_live_release(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site, "console")
    page.wait_for_selector("#console-component option[value='web']", state="attached")
    both(page, "console")
    page.click("#console-connect")
    page.wait_for_selector("#console-status[data-state='live']", timeout=30_000)
    page.fill("#console-line", "printenv GREETING; echo $((6 * 7))")
    page.press("#console-line", "Enter")
    page.wait_for_function("() => /^42$/m.test(document.querySelector('#console-output')"
                           ".textContent)", timeout=30_000)
    output = page.inner_text("#console-output")
    assert NEW_GREETING in output.splitlines(), output  # the env the live release runs with
    assert "\x1b" not in output
    both(page, "console-ran")
    page.fill("#console-line", "exit 7")
    page.press("#console-line", "Enter")
    page.wait_for_selector("#console-status[data-exit-code='7']")
    assert page.is_visible("#console-connect")


def test_a_chart_moves_under_load_with_deployments_marked(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site, "metrics")
    chart = "#charts [data-metric='requests_per_second']"
    page.wait_for_selector(f"{chart} canvas")
    before = float(page.get_attribute(chart, "data-max") or 0)
    port = int(site.app()["live_url"].rsplit(":", 1)[1])
    load = LoadLoop(port=port, keepalive_threads=2, fresh_threads=1, pause=0.01, max_seconds=120)
    load.start()
    try:
        wait_for(lambda: float(page.get_attribute(chart, "data-last") or 0) > max(before, 1),
                 "the requests chart to rise under load", 60, 0.5)
    finally:
        load.stop()
    assert load.count > 100 and not load.failures
    assert float(page.get_attribute(chart, "data-max")) > max(before, 1)
    for metric in ("latency_p95_ms", "cpu_percent", "memory_bytes", "r5xx"):
        assert int(page.get_attribute(f"#charts [data-metric='{metric}']", "data-points")) > 0
    assert int(page.get_attribute("#charts", "data-moments")) >= 2  # the deployments so far
    both(page, "metrics-under-load")


def test_instances_show_their_state_and_restart_goes_live(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site, "instances")
    page.wait_for_selector("#instances tr[data-instance='web-1'][data-state='RUNNING']")
    assert page.locator("#instances tr[data-instance]").count() == 2
    both(page, "instances")
    before = site.deployments()[0]["id"]
    page.click("#restart")  # confirm() accepted by the fixture
    page.locator("#flash:has-text('Restart started')").wait_for()
    restart = site.deployments()[0]
    assert restart["id"] != before and restart["cause"] == "restart"
    wait_for(lambda: site.app().get("active_deployment", {}).get("id") == restart["id"],
             "the restart to go live", 180, 0.5)
    page.wait_for_selector("#instances tr[data-instance='web-0'][data-state='RUNNING']")
    both(page, "instances-restarted")


def test_a_pinned_rollback_is_committed_then_another_reverted(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site)
    live = site.app()["active_deployment"]["id"]
    page.click("#rollback")
    page.wait_for_selector("#rollback-check .ok")
    assert page.is_checked("#rollback-pin")  # DigitalOcean pins by default
    both(page, "rollback-dialog")
    page.click("#rollback-go")
    page.locator("#flash:has-text('Rollback started')").wait_for()
    back, phases = watch_phases(page, live)
    assert phases[-1] == "ACTIVE", phases
    page.wait_for_selector("#pinned:not([hidden])")
    assert page.is_disabled("#deploy")  # pinned: new deployments wait
    both(page, "pinned")
    page.click("#rollback-commit")
    page.wait_for_selector("#pinned", state="hidden")
    assert "pinned_deployment" not in site.app()
    assert site.app()["active_deployment"]["id"] == back
    assert page.is_enabled("#deploy")
    both(page, "rollback-committed")

    roll_back(page, pin=True)
    again, phases = watch_phases(page, back)
    assert phases[-1] == "ACTIVE", phases
    page.wait_for_selector("#pinned:not([hidden])")
    page.click("#rollback-revert")
    page.locator("#flash:has-text('Reverting')").wait_for()
    reverted, phases = watch_phases(page, again)
    assert phases[-1] == "ACTIVE", phases
    page.wait_for_selector("#pinned", state="hidden")
    deps = {d["id"]: d for d in site.deployments()}
    assert deps[reverted]["cloned_from"] == back  # what was live before the second rollback


def test_job_invocations_with_their_logs_and_cancel(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    page = app_page(new_page, site, "jobs")
    assert "tick “* * * * *”" in page.inner_text("#jobs-schedule")
    app_id = site.app()["id"]

    def fresh() -> str | None:
        """A tick that started less than 15 s ago: it has 25 s of its 40 left to be canceled."""
        listed = api(site, "GET", f"/v2/apps/{app_id}/job-invocations?per_page=5")
        return next((i["id"] for i in listed["job_invocations"] if i["phase"] == "RUNNING"
                     and time.time() - parse_time(i["started_at"]) < 15), None)

    inv = wait_for(fresh, "a tick that just started", 100, 0.5)  # one a minute, each 40 s
    row = page.locator(f"#invocations tr[data-invocation='{inv}'][data-phase='RUNNING']")
    row.wait_for()
    row.locator("button:text('Log')").click()
    page.wait_for_function("() => document.querySelector('#log-lines').textContent"
                           ".includes('tick at')", timeout=30_000)
    both(page, "job-running")
    page.click(f"[data-cancel='{inv}']")  # confirm() accepted by the fixture
    page.wait_for_selector(f"#invocations tr[data-invocation='{inv}'][data-phase='CANCELED']",
                           timeout=60_000)
    body = api(site, "GET", f"/v2/apps/{site.app()['id']}/job-invocations/{inv}")
    assert body["phase"] == "CANCELED"
    page.wait_for_function("() => document.querySelector('#log-status').dataset.state === 'done'",
                           timeout=30_000)
    both(page, "job-canceled")


def test_deployments_are_listed_a_page_at_a_time(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    app_id = site.app()["id"]
    while len(site.deployments()) <= 10:  # queue more, cancel them: cheap rows for page 2
        dep = api(site, "POST", f"/v2/apps/{app_id}/deployments", {})["deployment"]
        api(site, "POST", f"/v2/apps/{app_id}/deployments/{dep['id']}/cancel")
    total = len(api(site, "GET", f"/v2/apps/{app_id}/deployments?per_page=200")["deployments"])
    page = app_page(new_page, site)
    first = [r.get_attribute("data-deployment") for r in
             page.locator("#deployments tr[data-deployment]").all()]
    assert len(first) == 10
    assert f"page 1 of {-(-total // 10)}" in page.inner_text("#deployments-pager")
    page.click("#deployments-pager [data-page='next']")
    page.wait_for_selector("#deployments-pager:has-text('page 2 of')")
    second = [r.get_attribute("data-deployment") for r in
              page.locator("#deployments tr[data-deployment]").all()]
    assert second and not set(second) & set(first)
    newest = [d["id"] for d in site.deployments()]
    assert first == newest[:10]
    both(page, "deployments-page-2")


def test_a_read_only_token_sees_every_page_with_writes_disabled(site: Site, new_page, both):  # type: ignore[no-untyped-def]
    token = site.platform.cli("tokens", "create", "operate-viewer", "--read-only",
                              "-o", "json").json()["token"]
    page = new_page()
    sign_in(page, site, token)
    assert page.get_attribute("#create-app", "aria-disabled") == "true"
    open_app(page, site)
    checks = {"env": "[data-edit='']", "instances": "#restart", "console": "#console-connect"}
    for tab, control in checks.items():
        open_tab(page, tab)
        page.wait_for_selector(control, state="attached")
        assert page.is_disabled(control), (tab, control)
        both(page, f"read-only-{tab}")
    app_id = site.app()["id"]
    resp = site.platform.request("GET", f"/v2/apps/{app_id}/components/web/exec", token=token)
    assert resp.status == 403 and "console" in resp.body["message"]
    edit = site.platform.request("POST", f"/v2/dockyard/apps/{app_id}/spec/envs",
                                 {"envs": {"": []}}, token=token)
    assert edit.status == 403
    assert json.dumps(site.app()).count("operate-viewer") == 0
