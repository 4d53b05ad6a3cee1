"""HAProxy's counters and request lines as the metrics sampler reads them."""

from __future__ import annotations

import socket
from pathlib import Path

from dockyard.router.stats import Counters, RequestLog, parse_stat, percentile
from tests.conftest import wait_for

STAT = """# pxname,svname,scur,bin,bout,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,req_tot,
svc_a_web,s0a,0,100,2000,0,9,0,0,1,10,
svc_a_web,s0b,0,0,0,0,0,0,0,0,0,
svc_a_web,BACKEND,0,100,2000,0,9,0,0,1,10,
"""


def test_show_stat_rows_become_counters() -> None:
    rows = parse_stat(STAT)
    assert rows[("svc_a_web", "BACKEND")] == Counters(10, 0, 9, 0, 0, 1, 100, 2000)
    assert rows[("svc_a_web", "s0b")].requests == 0


def test_differences_treat_a_drop_as_a_restart_of_the_counters() -> None:
    before = Counters(requests=10, r2xx=10, bytes_out=500)
    assert Counters(requests=25, r2xx=24, r5xx=1, bytes_out=900).minus(before) == \
        Counters(requests=15, r2xx=14, r5xx=1, bytes_out=400)
    reloaded = Counters(requests=3, r2xx=3, bytes_out=90)
    assert reloaded.minus(before) == reloaded          # HAProxy reloaded: all of it is new
    assert reloaded.minus(None) == Counters()          # the first round is the baseline


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile(list(range(1, 101)), 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0 and percentile([], 0.95) is None


def test_the_request_log_keeps_service_latencies_from_datagrams(tmp_path: Path) -> None:
    log = RequestLog(tmp_path / "requests.sock").start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            for line in (b"svc_a_web s0a 200 12 100", b"svc_a_web s0a 503 40 10",
                         b"app_frontend <NOSRV> 404 0 9", b"<134>Nov 30 svc_b_api s1b 200 7 5"):
                sender.sendto(line, str(tmp_path / "requests.sock"))
        taken: dict[str, list[float]] = {}

        def three() -> bool:
            for key, values in log.take().items():
                taken.setdefault(key, []).extend(values)
            return sum(len(v) for v in taken.values()) >= 3

        wait_for(three, "three services' latencies", 5)
        assert taken == {"svc_a_web": [12.0, 40.0], "svc_b_api": [7.0]}
        assert log.take() == {}
    finally:
        log.stop()
