"""Every doctl ``apps`` verb with its flags (``tests/cli/doctl_verbs.py``), run as a user
would against a real Dockyard with a live Python app: each answers with doctl's columns, and
a verb that changes nothing says so and exits 1.

doctl's ``dev`` verbs, which build images with Docker for a registry, are named in
``NOT_PROVIDED``. The last test checks that the walk ran every other verb and flag.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import click
import pytest

from tests.cli.doctl_verbs import ALIASES, GLOBAL_FLAGS, VERBS
from tests.conftest import DOCKYARD, Result, wait_for
from tests.e2e.conftest import Platform, make_repo, new_platform

APP_DIR = Path(__file__).resolve().parents[1] / "apps" / "zero_downtime"
NAME = f"walk-{uuid.uuid4().hex[:6]}"

NOT_PROVIDED = {("dev", "build"), ("dev", "config", "set"), ("dev", "config", "unset")}
"""doctl's ``dev`` verbs build a component's image locally with Docker and push it to a
registry; Dockyard builds on deploy, in its sandbox, and has no ``dev`` verbs."""

HEADERS = {
    "apps": ["ID", "Spec Name", "Default Ingress", "Active Deployment ID",
             "In Progress Deployment ID", "Created At", "Updated At"],
    "deployments": ["ID", "Cause", "Progress", "Phase", "Created At", "Updated At"],
    "events": ["ID", "Type", "Deployment ID", "Created At", "Phase"],
    "instances": ["Name", "Component Name", "Component Type", "Instance Alias"],
    "regions": ["Region", "Label", "Continent", "Data Centers", "Is Disabled?",
                "Reason (if disabled)", "Is Default?"],
    "sizes": ["Name", "Slug", "CPUs", "Memory", "$/month", "$/second", "Tier",
              "Tier Downgrade/Upgrade Path"],
    "tiers": ["Name", "Slug", "Egress Bandwidth", "Build Seconds"],
    "buildpacks": ["Name", "ID", "Version", "Documentation"],
    "alerts": ["ID", "Alert Rule", "Alert Trigger", "Component Name", "Number Of Emails",
               "Number Of Slack Webhooks", "Alert Disabled?"],
    "jobs": ["ID", "Job Name", "Created At", "Started At", "Completed At", "Phase"],
}
"""doctl's column titles, per displayer."""

RAN: list[tuple[str, ...]] = []


def command(path: tuple[str, ...]) -> click.Command | None:
    """The Dockyard command at ``apps <path>`` (aliases resolve), or None."""
    from dockyard.cli.tree import cli

    ctx = click.Context(cli)
    cmd: Any = cli.get_command(ctx, "apps")
    for word in path:
        cmd = cmd.get_command(ctx, word) if isinstance(cmd, click.Group) else None
        if cmd is None:
            return None
    return cmd


def options(cmd: click.Command) -> set[str]:
    return {opt for param in cmd.params for opt in param.opts if opt.startswith("--")}


def test_every_doctl_verb_and_flag_exists():
    for path, flags in VERBS.items():
        if path in NOT_PROVIDED:
            assert command(path) is None, f"{path} exists now: take it out of NOT_PROVIDED"
            continue
        cmd = command(path)
        assert cmd is not None, f"dockyard apps {' '.join(path)} is missing"
        missing = set(flags) - options(cmd)
        assert not missing, f"dockyard apps {' '.join(path)} lacks {sorted(missing)}"


def test_doctl_short_names_reach_the_same_commands():
    for path, aliases in ALIASES.items():
        for alias in aliases:
            assert command((*path[:-1], alias)) is command(path), (path, alias)
    assert command(("ls",)) is command(("list",))


# -- the walk, against a real server (in order: later steps use what earlier ones made) ----


def spec_text(name: str, *, comment: str = "") -> str:
    """Two instances of a service, and two jobs every minute (``tick`` ends at once,
    ``slow`` runs 100 s)."""
    source = (f"    environment_slug: python\n    github:\n      repo: example/{NAME}\n"
              "      branch: main\n")
    jobs = "".join(f"  - name: {job}\n    kind: SCHEDULED\n    schedule:\n"
                   f"      cron: \"* * * * *\"\n{source}    run_command: {command}\n"
                   for job, command in (("tick", "echo tick"), ("slow", "sleep 100")))
    return (f"# {comment or 'walked by the doctl CLI test'}\nname: {name}\n"
            "alerts:\n  - rule: DEPLOYMENT_LIVE\n"
            f"services:\n  - name: web\n{source}"
            "    run_command: gunicorn --workers 1 app:app\n"
            "    instance_count: 2\n    routes:\n      - path: /\n"
            "    health_check:\n      http_path: /health\n      period_seconds: 1\n"
            "    termination:\n      drain_seconds: 1\n      grace_period_seconds: 5\n"
            f"jobs:\n{jobs}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("doctlwalk")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    platform.map_url(f"https://github.com/example/{NAME}.git", make_repo(root / NAME, APP_DIR))
    platform.cli("up")
    (root / "app.yaml").write_text(spec_text(NAME))
    (root / "app2.yaml").write_text(spec_text(NAME, comment="updated"))
    (root / "dest.yaml").write_text("emails: [ops@example.com]\nslack_webhooks: []\n")
    yield platform, root
    platform.cli("down", check=False)


@pytest.fixture(scope="module")
def state() -> dict[str, str]:
    return {}


def run(server: tuple[Platform, Path], *argv: str, code: int = 0) -> Result:
    """``dockyard apps ARGV`` as a subprocess; recorded for the coverage check."""
    platform, _root = server
    RAN.append(argv)
    result = platform.cli("apps", *argv, check=False)
    assert result.code == code, f"dockyard apps {' '.join(argv)} -> {result.code}\n" \
                                f"{result.out}\n{result.err}"
    return result


def columns(result: Result) -> list[str]:
    return re.split(r"\s{2,}", result.out.splitlines()[0].strip())


@pytest.mark.slow
def test_create_get_list_update(server, state):  # type: ignore[no-untyped-def]
    _platform, root = server
    made = run(server, "create", "--spec", str(root / "app.yaml"), "--wait", "--upsert",
               "--update-sources", "--project-id", "p-walk")
    assert columns(made) == HEADERS["apps"]
    got = json.loads(run(server, "get", NAME, "--output", "json").out)[0]
    state["app"], state["first"] = got["id"], got["active_deployment"]["id"]
    listed = run(server, "list", "--with-projects", "--format", "ID,Spec.Name", "--no-header")
    assert f"{state['app']}    {NAME}" in listed.out
    run(server, "update", NAME, "--spec", str(root / "app2.yaml"), "--update-sources", "--wait")
    assert "# updated" in run(server, "spec", "get", NAME).out


@pytest.mark.slow
def test_propose_and_spec_verbs(server, state):  # type: ignore[no-untyped-def]
    _platform, root = server
    proposed = run(server, "propose", "--spec", str(root / "app.yaml"), "--app", state["app"])
    assert "App Name Available    yes" in proposed.out
    ran = json.loads(run(server, "spec", "get", NAME, "--deployment", state["first"],
                         "--format", "json").out)
    assert ran["name"] == NAME and ran["services"][0]["instance_count"] == 2
    offline = run(server, "spec", "validate", str(root / "app.yaml"), "--schema-only")
    assert offline.out.startswith("# walked by the doctl CLI test")
    checked = run(server, "spec", "validate", str(root / "app.yaml"))
    assert f"name: {NAME}" in checked.out and "not running" not in checked.err


@pytest.mark.slow
def test_deployments_restart_and_events(server, state):  # type: ignore[no-untyped-def]
    made = run(server, "create-deployment", NAME, "--force-rebuild", "--wait")
    assert columns(made) == HEADERS["deployments"]
    row = made.out.splitlines()[1]
    assert " ACTIVE " in row and re.search(r" (\d+)/\1 ", row), row
    deps = json.loads(run(server, "list-deployments", NAME, "--output", "json").out)
    state["dep"] = deps[0]["id"]
    assert columns(run(server, "get-deployment", NAME, state["dep"])) == HEADERS["deployments"]
    restarted = run(server, "restart", NAME, "--components", "web", "--wait")
    assert "restart" in restarted.out and " ACTIVE " in restarted.out
    events = run(server, "list-events", NAME, "--event-type", "DEPLOYMENT")
    assert columns(events) == HEADERS["events"]
    listed = json.loads(run(server, "list-events", NAME, "--output", "json").out)
    assert len(listed) == len(deps) + 1 and {e["type"] for e in listed} == {"DEPLOYMENT"}
    state["event"] = listed[0]["id"]
    assert state["event"] in run(server, "get-event", NAME, state["event"]).out
    done = run(server, "cancel-event", NAME, state["event"], code=1)
    assert "nothing was canceled" in done.err
    done = run(server, "cancel-deployment", NAME, state["dep"], code=1)
    assert "already ended (SUPERSEDED)" in done.err


@pytest.mark.slow
def test_logs_flags(server, state):  # type: ignore[no-untyped-def]
    build = run(server, "logs", NAME, "web", "--type", "build", "--deployment", state["dep"],
                "--tail", "3")
    assert 0 < len(build.out.splitlines()) <= 3
    labeled = run(server, "logs", NAME, "web", "--type", "run").out.splitlines()
    assert labeled and all(re.match(r"web-[01] ", line) for line in labeled), labeled
    bare = run(server, "logs", NAME, "web", "--type", "run", "--no-prefix").out.splitlines()
    assert bare and not any(re.match(r"web-[01] ", line) for line in bare), bare
    assert sorted(bare) == sorted(line.split(" ", 1)[1] for line in labeled)
    deploy = run(server, "logs", NAME, "--event-id", state["event"], "--type", "deploy")
    assert "-----> " in deploy.out
    first = follow_first_line(server, "logs", NAME, "web", "--type", "run", "--follow",
                              "--tail", "1")
    assert first in labeled, (first, labeled)


def follow_first_line(server: tuple[Platform, Path], *argv: str) -> str:
    """Start a ``--follow`` (it does not end by itself), read its first line, stop it by pid."""
    platform, _root = server
    RAN.append(argv)
    with subprocess.Popen([DOCKYARD, "apps", *argv], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, env=platform.env) as proc:
        try:
            assert proc.stdout is not None
            return wait_for(lambda: proc.stdout.readline().rstrip("\n"), "a followed line")
        finally:
            proc.kill()


@pytest.mark.slow
def test_catalogues(server, state):  # type: ignore[no-untyped-def]
    instances = run(server, "list-instances", NAME)
    assert columns(instances) == HEADERS["instances"]
    assert [r.split()[-1] for r in instances.out.splitlines()[1:]] == ["web-0", "web-1"]
    assert columns(run(server, "list-regions")) == HEADERS["regions"]
    sizes = run(server, "tier", "instance-size", "list")
    assert columns(sizes) == HEADERS["sizes"]
    one = run(server, "tier", "instance-size", "get", "basic-xxs", "--no-header")
    assert "basic-xxs -> professional-xs" in one.out and "512.00 MiB" in one.out
    assert columns(run(server, "tier", "list")) == HEADERS["tiers"]
    assert "40.00 GiB" in run(server, "tier", "get", "basic").out
    packs = run(server, "list-buildpacks")
    assert columns(packs) == HEADERS["buildpacks"] and "dockyard/python" in packs.out


@pytest.mark.slow
def test_alerts_and_buildpack_upgrade(server, state):  # type: ignore[no-untyped-def]
    _platform, root = server
    alerts = run(server, "list-alerts", NAME)
    assert columns(alerts) == HEADERS["alerts"] and "DEPLOYMENT_LIVE" in alerts.out
    alert = json.loads(run(server, "list-alerts", NAME, "--output", "json").out)["alerts"][0]
    run(server, "update-alert-destinations", NAME, alert["id"], "--app-alert-destinations",
        str(root / "dest.yaml"))
    before = len(json.loads(run(server, "list-deployments", NAME, "-o", "json").out))
    quiet = run(server, "upgrade-buildpack", NAME, "--buildpack", "dockyard/python",
                "--major-version", "0", "--trigger-deployment=false")
    assert "Components to rebuild: web" in quiet.err and quiet.out == ""
    assert len(json.loads(run(server, "list-deployments", NAME, "-o", "json").out)) == before
    unused = run(server, "upgrade-buildpack", NAME, "--buildpack", "dockyard/html", code=1)
    assert "nothing to upgrade" in unused.err
    assert "not pinned" in run(server, "rollback-commit", NAME, code=1).err


@pytest.mark.slow
def test_job_invocations_and_the_console(server, state):  # type: ignore[no-untyped-def]
    tick, slow = wait_for(lambda: ran_jobs(server), "a finished tick and a running slow",
                          timeout=150, interval=1)
    listed = run(server, "list-job-invocations", NAME, "--deployment", tick["deployment_id"],
                 "--job-name", "tick")
    assert columns(listed) == HEADERS["jobs"] and tick["id"] in listed.out
    assert tick["id"] in run(server, "get-job-invocation", NAME, tick["id"]).out
    assert "tick" in run(server, "logs", NAME, "tick", "--job-invocation", tick["id"]).out
    stopped = run(server, "cancel-job-invocation", NAME, slow["id"], "-o", "json")
    assert json.loads(stopped.out)[0]["phase"] == "CANCELED"
    assert "nothing to cancel" in run(server, "cancel-job-invocation", NAME, slow["id"],
                                      code=1).err
    live = json.loads(run(server, "get", NAME, "-o", "json").out)[0]["active_deployment"]["id"]
    said = run(server, "console", NAME, "web", "--instance-name", "web-1", "--deployment", live,
               "--", "sh", "-c", "echo walked as $HOSTNAME; exit 0")
    assert "walked" in said.out


def ran_jobs(server: tuple[Platform, Path]) -> tuple[dict, dict] | None:
    """(a finished ``tick``, a running ``slow``) invocation once both exist."""
    found = json.loads(run(server, "list-job-invocations", NAME, "-o", "json").out)
    tick = next((i for i in found if i["job_name"] == "tick" and i["phase"] == "SUCCEEDED"),
                None)
    slow = next((i for i in found if i["job_name"] == "slow" and i["phase"] == "RUNNING"),
                None)
    return (tick, slow) if tick and slow else None


@pytest.mark.slow
def test_format_with_an_unknown_column_lists_the_known_ones(server, state):  # type: ignore[no-untyped-def]
    bad = run(server, "list", "--format", "ID,Colour", code=1)
    assert "'Colour'" in bad.err and "Spec.Name, DefaultIngress" in bad.err
    assert run(server, "lsd", NAME, "--format", "id,phase", "--no-header").out.strip()


@pytest.mark.slow
def test_delete(server, state):  # type: ignore[no-untyped-def]
    assert "App deleted" in run(server, "delete", NAME, "--force").out
    run(server, "get", NAME, code=1)


def verb_of(argv: tuple[str, ...]) -> tuple[str, ...]:
    """The verb path an argv ran (aliases resolved to their verb)."""
    words = [w for w in argv if not w.startswith("-")]
    for length in (3, 2, 1):
        head = tuple(words[:length])
        for path in VERBS:
            if len(path) == length and (head == path or head in {
                    (*path[:-1], a) for a in ALIASES.get(path, ())}):
                return path
    return ()


@pytest.mark.slow
def test_the_walk_ran_every_verb_and_flag():
    ran: dict[tuple[str, ...], set[str]] = {}
    for argv in RAN:
        ran.setdefault(verb_of(argv), set()).update(
            w.split("=")[0] for w in argv if w.startswith("--"))
    for path, flags in VERBS.items():
        if path in NOT_PROVIDED:
            continue
        assert path in ran, f"the walk never ran apps {' '.join(path)}"
        missing = set(flags) - ran[path]
        assert not missing, f"apps {' '.join(path)}: never ran with {sorted(missing)}"
    used = set().union(*ran.values())
    assert set(GLOBAL_FLAGS) <= used
