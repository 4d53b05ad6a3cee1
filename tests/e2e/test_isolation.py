"""Isolation, tried as an attacker would: app A's build, run command, PRE_DEPLOY job and
console try to read the platform's keys and app B's files and processes, and to write where
they must not; then misbehaving workers hit their instance size's limits while B serves.

Each probe prints ``PROBE <stage> READ|WROTE <path>`` when an attempt succeeds and ``DENIED``
when it fails (``tests/apps/isolation_probe/probe.sh``); a positive control runs the same
probe as root on the host, where the reads succeed, so the probe can see a hole.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.isolation import cgroups
from tests.alerts.conftest import receiver  # noqa: F401 - the webhook receiver fixture
from tests.conftest import wait_for
from tests.e2e.conftest import Platform, deploy_copy, get, make_repo, new_platform, stop
from tests.e2e.load import LoadLoop

pytestmark = pytest.mark.slow
APPS = Path(__file__).resolve().parents[1] / "apps"
PROBE = APPS / "isolation_probe"
VICTIM = APPS / "zero_downtime"
PROBE_LINE = re.compile(r"PROBE (\w+) (READ|WROTE|DENIED) (.+)$")
CANARY = Path("/root/.dockyard-isolation-canary")  # stands for root's own files


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Path]]:
    """A Dockyard with app B (``victim``, live) and A's repository ready to deploy."""
    root = tmp_path_factory.mktemp("iso")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    CANARY.write_text("root's own file\n")
    platform.map_url("https://github.com/example/attacker.git",
                     make_repo(root / "attacker", PROBE))
    platform.cli("up")
    deploy_copy(platform, root, VICTIM, "victim")
    yield platform, root
    platform.cli("down")
    left = groups_of(platform)
    stop(platform)
    CANARY.unlink(missing_ok=True)
    assert left == [], "`dockyard down` left these cgroups behind"


def groups_of(platform: Platform) -> list[str]:
    """The installation's cgroups, in every hierarchy (builds, instances, jobs)."""
    tops = cgroups.Group(cgroups.installation_id(platform.home), "").dirs().values()
    return sorted({p.name for top in tops if top.is_dir() for p in top.iterdir() if p.is_dir()})


def test_no_build_leaves_its_cgroup_behind(two_apps):  # type: ignore[no-untyped-def]
    platform, _ = two_apps
    if not cgroups.available()[0]:
        pytest.skip(cgroups.available()[1])
    assert any(name.startswith("i-") for name in groups_of(platform))   # the victim's instance
    assert [name for name in groups_of(platform) if name.startswith("build-")] == []


def victim_paths(platform: Platform) -> tuple[Path, Path, int]:
    """B's release folder, B's launch file and the pid of B's gunicorn master (host view)."""
    app = platform.app("victim")
    dep = app["active_deployment"]["id"]
    apps = platform.home / "apps" / app["id"]
    release = apps / "releases" / dep / "web" / "app"
    launch = apps / "instances" / dep / "web-0" / "launch.json"
    out = subprocess.run(["pgrep", "-f", "-o", "gunicorn --workers 2"], capture_output=True,
                         text=True).stdout.split()
    assert release.is_dir() and launch.is_file() and out, (release, launch, out)
    return release, launch, int(out[0])


def attacker_spec(platform: Platform, root: Path) -> tuple[Path, list[str], list[str]]:
    home = platform.home
    release, launch, pid = victim_paths(platform)
    reads = [str(home / "admin.token"), str(home / "secrets.key"), str(home / "dockyard.db"),
             str(home / "tls" / "ca-key.pem"), str(home / "tls" / "server-key.pem"),
             str(release / "app.py"), str(launch), f"/proc/{pid}/environ",
             str(home / "router" / "haproxy.sock"),
             str(home / "supervisor" / "supervisor.sock"), str(CANARY)]
    writes = [str(release), str(home / "apps")]
    spec = root / "attacker.yaml"
    spec.write_text(json.dumps({
        "name": "attacker",
        "envs": [{"key": "PROBE_READ", "value": "\n".join(reads)},
                 {"key": "PROBE_WRITE", "value": "\n".join(writes)}],
        "services": [{
            "name": "web", "environment_slug": "python",
            "github": {"repo": "example/attacker", "branch": "main"},
            "build_command": "bash probe.sh build",
            "run_command": "bash probe.sh run\necho pwned > pwned-by-run\ngunicorn app:app",
            "health_check": {"http_path": "/"}}],
        "jobs": [{"name": "migrate", "kind": "PRE_DEPLOY",
                  "github": {"repo": "example/attacker", "branch": "main"},
                  "run_command": "bash probe.sh job"}]}))
    return spec, reads, writes


def probes(text: str, stage: str) -> dict[str, str]:
    """path -> READ/WROTE/DENIED for one stage's probe lines."""
    found = {}
    for line in text.splitlines():
        match = PROBE_LINE.search(line)
        if match and match.group(1) == stage:
            found[match.group(3).strip()] = match.group(2)
    return found


def assert_all_denied(text: str, stage: str, paths: list[str]) -> None:
    seen = probes(text, stage)
    holes = {p: r for p, r in seen.items() if r != "DENIED"}
    assert not holes, f"{stage}: {holes}"
    assert set(paths) <= set(seen), f"{stage} did not probe: {set(paths) - set(seen)}"
    assert re.search(rf"PROBE {stage} uid=(\d+) done", text).group(1) != "0", text


def logs(platform: Platform, kind: str, component: str = "web") -> str:
    return platform.cli("apps", "logs", "attacker", component, "--type", kind).out


def test_the_probe_finds_holes_when_run_as_root_on_the_host(two_apps):  # type: ignore[no-untyped-def]
    platform, root = two_apps
    _spec, reads, writes = attacker_spec(platform, root)
    out = subprocess.run(["bash", str(PROBE / "probe.sh"), "control"], capture_output=True,
                         text=True, env={"PROBE_READ": "\n".join(reads), "PROBE_WRITE": "",
                                         "PATH": "/usr/bin:/bin"}).stdout
    seen = probes(out, "control")
    assert seen[str(platform.home / "admin.token")] == "READ"
    assert seen[str(platform.home / "secrets.key")] == "READ"
    assert seen[str(CANARY)] == "READ"
    assert writes


def test_an_app_cannot_reach_the_platform_or_another_app(two_apps):  # type: ignore[no-untyped-def]
    platform, root = two_apps
    spec, reads, writes = attacker_spec(platform, root)
    platform.deploy_spec(spec)
    paths = reads + writes
    assert_all_denied(logs(platform, "build"), "build", paths)
    assert_all_denied(logs(platform, "deploy", "migrate"), "job", paths)
    assert_all_denied(logs(platform, "run"), "run", paths)
    console = platform.cli("apps", "console", "attacker", "web", "--", "bash", "probe.sh",
                           "console")
    assert_all_denied(console.out, "console", paths)
    release, _launch, _pid = victim_paths(platform)
    assert not (release / "pwned").exists()
    attacker = platform.app("attacker")
    own = platform.home / "apps" / attacker["id"] / "releases" / \
        attacker["active_deployment"]["id"] / "web" / "app"
    assert own.is_dir() and not (own / "pwned-by-run").exists()
    assert get(attacker["live_url"], "/")[0] == 200
    shown = attacker["dockyard"]["isolation"]
    assert shown["sandbox"] and shown["user"].startswith("dky-") and shown["uid"] >= 200_000
    assert "DOCKYARD_HOME" in shown["cannot_see"][0]
    assert get(platform.app("victim")["live_url"], "/")[0] == 200


def hogs_spec(root: Path) -> Path:
    def worker(name: str, kind: str) -> dict:
        return {"name": name, "environment_slug": "python", "instance_size_slug": "basic-xxs",
                "github": {"repo": "example/attacker", "branch": "main"},
                "run_command": f"python hogs.py {kind}",
                "envs": [{"key": "HOG_DELAY", "value": "6"}],
                "alerts": [{"rule": "RESTART_COUNT", "operator": "GREATER_THAN", "value": 0,
                            "window": "FIVE_MINUTES"}]}

    spec = root / "hogs.yaml"
    spec.write_text(json.dumps({"name": "hogs", "workers": [
        worker("memory", "memory"), worker("fork", "fork"), worker("cpu", "cpu")]}))
    return spec


def group_of(platform: Platform, component: str) -> cgroups.Group:
    app = platform.app("hogs")
    instances = platform.request("GET", f"/v2/apps/{app['id']}/instances").body["instances"]
    name = next(i["instance_name"] for i in instances if i["component_name"] == component)
    return cgroups.Group(cgroups.installation_id(platform.home), name)


def run_log(platform: Platform, component: str) -> str:
    return platform.cli("apps", "logs", "hogs", component, "--type", "run").out


def test_limits_stop_memory_fork_and_cpu_hogs_while_the_other_app_serves(two_apps, receiver):  # type: ignore[no-untyped-def]  # noqa: F811
    platform, root = two_apps
    if not cgroups.available()[0]:
        pytest.skip(cgroups.available()[1])
    victim = int(platform.app("victim")["live_url"].rsplit(":", 1)[1])
    loop = LoadLoop(victim, keepalive_threads=1, fresh_threads=1, pause=0.02).start()
    try:
        platform.deploy_spec(hogs_spec(root))
        destinations = root / "dest.json"
        destinations.write_text(json.dumps({"slack_webhooks": [{"url": receiver.url + "/hook"}]}))
        for alert in json.loads(platform.cli("apps", "list-alerts", "hogs", "-o",
                                             "json").out)["alerts"]:
            platform.cli("apps", "update-alert-destinations", "hogs", alert["id"],
                         "--app-alert-destinations", str(destinations))
        wait_for(lambda: "out of memory: the kernel killed this instance at its memory limit "
                 "(512 MiB" in run_log(platform, "memory"), "the memory hog's OOM kill", 90)
        wait_for(lambda: any(r.body.get("text", "").find("restarted") >= 0 or "RESTART_COUNT"
                             in json.dumps(r.body) for r in receiver.requests),
                 "a RESTART_COUNT alert", 60)
        fork_line = wait_for(lambda: re.search(r"fork failed after (\d+) processes",
                                               run_log(platform, "fork")), "fork to fail", 60)
        assert int(fork_line.group(1)) < 256
        assert len(group_of(platform, "fork").members()) <= 256
        cpu = group_of(platform, "cpu")
        wait_for(lambda: (cpu.usage() or cgroups.Usage(0, 0, 0)).cpu_seconds > 1, "cpu to spin",
                 60)
        before, start = cpu.usage().cpu_seconds, time.monotonic()
        time.sleep(3)  # the measurement window itself
        rate = (cpu.usage().cpu_seconds - before) / (time.monotonic() - start)
        assert rate <= 1.1, f"the cpu hog used {rate:.2f} CPUs with a quota of 1"
    finally:
        loop.stop()
        platform.cli("apps", "delete", "hogs", "--force", check=False)
    assert loop.failures == [], loop.failures[:5]
    assert len(loop.samples) > 50
