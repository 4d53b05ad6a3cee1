"""Faults under load: each part of Dockyard killed with ``kill -9`` in turn, under requests.

One installation runs the chaos app (``tests/apps/chaos_notes``: a PostgreSQL row written per
request, a static site through nginx) with two load loops on it the whole time. In turn the
HAProxy master, an HAProxy worker, the nginx master, the PostgreSQL postmaster, supervisord,
the API server, a gunicorn master and a deploy worker mid-deploy are killed (pids from
supervisord and /proc parent links, never names). For each: it comes back by itself (no
``dockyard up``) within a bound, ``dockyard status`` tells the truth, no row the app
acknowledged is missing, and the next deployment serves only the new release to every
request with no process of the installation outside supervisord's tree.
Failed requests while a part is down are measured by ``bench/chaos.py``, not asserted.
"""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.chaos import APP, URL, Chaos, Target
from tests.e2e.chaos_faults import FAULTS, Fault
from tests.e2e.conftest import make_repo, new_platform, stop

pytestmark = pytest.mark.slow
RECOVER_WITHIN = 120  # seconds; a bound for a busy machine, not a measured target


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("chaos")
    platform = new_platform(root, DOCKYARD_PUSH_POLL_SECONDS="0")
    repo = make_repo(root / "chaos", APP)
    platform.map_url(URL, repo)
    platform.cli("up")
    spec = root / "app.yaml"
    shutil.copy(APP / "app.yaml", spec)
    running = None
    try:
        platform.deploy_spec(spec)
        running = Chaos(Target(platform.home, platform.env), repo, threads=2,
                        max_seconds=1200, recover_timeout=RECOVER_WITHIN).start()
        yield running
    finally:
        if running:
            running.stop()
        stop(platform)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.key for f in FAULTS])
def test_a_killed_part_comes_back_by_itself_losing_no_row(chaos: Chaos, fault: Fault):
    row = chaos.run(fault)
    assert row.error is None, f"{fault.name}: {row.error}"
    assert row.back_after is not None and row.status_ok
    assert row.acked > 0 and row.lost == 0, \
        f"{row.lost} of {row.acked} acknowledged rows are missing after the {fault.name} kill"
    assert row.old_served == 0, f"{row.old_served} answers of an older release after the " \
                                f"deployment that followed the {fault.name} kill went live"
    assert row.orphans == [], f"left outside supervisord's tree: {row.orphans}"
    assert row.deploy_failed == 0, f"{row.deploy_failed} requests failed during the " \
                                   f"deployment after the {fault.name} kill"
