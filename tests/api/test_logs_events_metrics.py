"""In-process API tests of logs (signed URLs: expiry, tampering, tails), events, metrics and
body limits, on a real store and Platform with the recording runtime and router doubles."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dockyard.api import signing
from dockyard.api.bodies import MAX_BODY_BYTES
from dockyard.api.routes_events import EVENT_NAMESPACE
from dockyard.api.routes_metrics import bucket, day_of, fold, since_of
from dockyard.errors import DockyardError
from dockyard.store import Sample
from tests.api.conftest import Api, api_in, assert_do_error


def first_deployment(api: Api, app: dict[str, Any]) -> str:
    deps = api.call("GET", f"/v2/apps/{app['id']}/deployments").json()["deployments"]
    assert deps, "creating an app queues its first deployment"
    return str(deps[0]["id"])


def write_log(api: Api, app_id: str, dep_id: str, name: str, lines: list[str]) -> Path:
    folder = api.platform.home.logs(app_id) / dep_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


def fetch(api: Api, url: str, **params: str) -> Any:
    """GET a handed-out URL without the API token (as pydo and doctl do)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query.update(params)
    return api.call("GET", parts.path, token=None, params=query)


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One API for the module: creating an app checks its spec in a child process (~2 s),
    so the app is made once; tests only read it or write files of their own."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from api_in(tmp_path_factory.mktemp("api"), monkeypatch)


@pytest.fixture(scope="module")
def shared_shop(shared_api: Api) -> tuple[str, str]:
    app = shared_api.create("shop")
    return app["id"], first_deployment(shared_api, app)


@pytest.fixture
def api(shared_api: Api) -> Api:
    return shared_api


@pytest.fixture
def shop(shared_shop: tuple[str, str]) -> tuple[str, str]:
    return shared_shop


# -- logs --------------------------------------------------------------------------------------
def test_a_build_log_url_serves_the_file_without_a_token(api: Api, shop: tuple[str, str]):
    app_id, dep_id = shop
    write_log(api, app_id, dep_id, "build-site.log", ["-----> Building site", "done"])
    body = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD").json()
    assert set(body) == {"live_url", "historic_urls"} and len(body["historic_urls"]) == 1
    historic = body["historic_urls"][0]
    assert historic.startswith(f"{api.platform.settings.api_url}/logs/{app_id}/{dep_id}?")
    resp = fetch(api, historic)
    assert resp.status_code == 200 and resp.text == "-----> Building site\ndone\n"
    assert "follow=true" in body["live_url"] and "follow" not in historic


def test_a_forged_host_header_does_not_move_the_handed_out_urls(api: Api,
                                                                shop: tuple[str, str]):
    app_id, dep_id = shop
    body = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD",
                    headers={"Host": "evil.example"}).json()
    assert all(urllib.parse.urlsplit(u).netloc == f"127.0.0.1:{api.platform.settings.api_port}"
               for u in [body["live_url"], *body["historic_urls"]])


def test_following_hands_out_no_historic_url_and_tail_is_signed_into_it(api: Api,
                                                                       shop: tuple[str, str]):
    app_id, dep_id = shop
    body = api.call("GET", f"/v2/apps/{app_id}/logs?type=BUILD&follow=true&tail_lines=2").json()
    assert body["historic_urls"] == []
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(body["live_url"]).query))
    assert query["tail"] == "2" and query["follow"] == "true" and query["type"] == "BUILD"


def test_tail_keeps_the_newest_lines(api: Api, shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    write_log(api, app_id, dep_id, "build-site.log", [f"line {n}" for n in range(1, 11)])
    url = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD").json()[
        "historic_urls"][0]
    assert fetch(api, url, tail="3").text == "line 8\nline 9\nline 10\n"
    assert fetch(api, url, tail="0").text == ""
    assert fetch(api, url, tail="x").text.count("\n") == 10   # not a number: everything


def test_several_instances_are_prefixed_unless_asked_not_to(api: Api,
                                                             shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    write_log(api, app_id, dep_id, "run-site-0.log", ["zero"])
    write_log(api, app_id, dep_id, "run-site-1.log", ["one"])
    url = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=RUN").json()[
        "historic_urls"][0]
    assert sorted(fetch(api, url).text.splitlines()) == ["site-0 zero", "site-1 one"]
    assert sorted(fetch(api, url, prefix="false").text.splitlines()) == ["one", "zero"]


@pytest.mark.parametrize("change", [
    {"sig": "0" * 64}, {"type": "RUN"}, {"component": "other"}, {"expires": "9999999999"},
    {"expires": "soon"}, {"sig": ""}])
def test_an_edited_log_url_is_refused(api: Api, shop: tuple[str, str],
                                      change: dict[str, str]) -> None:
    app_id, dep_id = shop
    write_log(api, app_id, dep_id, "build-site.log", ["secret-ish build output"])
    url = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD").json()[
        "historic_urls"][0]
    resp = fetch(api, url, **change)
    body = assert_do_error(resp, 403, "forbidden")
    assert "not valid or has expired" in body["message"]
    assert "secret-ish" not in resp.text


def test_a_log_url_cannot_be_moved_to_another_deployment(api: Api, shop: tuple[str, str]):
    app_id, dep_id = shop
    url = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD").json()[
        "historic_urls"][0]
    other = str(uuid.uuid4())
    assert_do_error(fetch(api, url.replace(dep_id, other)), 403, "forbidden")
    assert_do_error(fetch(api, url.replace(app_id, other)), 403, "forbidden")


def test_an_expired_log_url_is_refused(api: Api, shop: tuple[str, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    app_id, dep_id = shop
    monkeypatch.setattr(signing, "TTL_SECONDS", -1)
    url = api.call("GET", f"/v2/apps/{app_id}/deployments/{dep_id}/logs?type=BUILD").json()[
        "historic_urls"][0]
    assert_do_error(fetch(api, url), 403, "forbidden")


def test_sign_and_verify_agree_on_every_field() -> None:
    key = b"k" * 32
    url = signing.sign(key, "https://h", "a", "d", "BUILD", "web")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert signing.verify(key, "a", "d", "BUILD", "web", q["expires"], q["sig"])
    assert not signing.verify(b"j" * 32, "a", "d", "BUILD", "web", q["expires"], q["sig"])
    assert not signing.verify(key, "a", "d", "BUILD", "web", str(int(q["expires"]) + 1),
                              q["sig"])
    assert int(q["expires"]) - time.time() == pytest.approx(signing.TTL_SECONDS, abs=5)
    assert "tail" not in q and "tail=" not in signing.sign(key, "h", "a", "d", "RUN", "", tail=-1)


def test_the_signing_key_is_made_once_and_private(api: Api) -> None:
    home = api.platform.home
    key = signing.signing_key(home)
    assert len(key) == 32 and signing.signing_key(home) == key
    assert ((home.run / "log-url.key").stat().st_mode & 0o777) == 0o600


def test_autoscale_logs_are_always_empty(api: Api, shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    url = api.call("GET", f"/v2/apps/{app_id}/logs?type=AUTOSCALE_EVENT").json()["live_url"]
    resp = fetch(api, url)
    assert resp.status_code == 200 and resp.text == ""


def test_unknown_log_types_and_components_are_named(api: Api, shop: tuple[str, str]) -> None:
    app_id, _ = shop
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/logs?type=SYSLOG"), 400,
                           "bad_request")
    assert "log type must be one of UNSPECIFIED, BUILD, DEPLOY, RUN" in body["message"]
    assert "'SYSLOG'" in body["message"]
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/components/nope/logs"), 404,
                           "not_found")
    assert "component 'nope' not found" in body["message"]
    assert api.call("GET", f"/v2/apps/{app_id}/components/site/logs").status_code == 200
    assert api.call("GET", f"/v2/apps/{app_id}/logs?component_name=site").status_code == 200


# -- events ------------------------------------------------------------------------------------
def test_each_deployment_is_a_deployment_event_with_a_stable_id(api: Api,
                                                                shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    events = api.call("GET", f"/v2/apps/{app_id}/events").json()
    assert [e["deployment_id"] for e in events["events"]] == [dep_id]
    event = events["events"][0]
    assert event["type"] == "DEPLOYMENT" and event["deployment"]["id"] == dep_id
    assert event["id"] == str(uuid.uuid5(EVENT_NAMESPACE, dep_id))
    assert events["meta"]["total"] == 1
    again = api.call("GET", f"/v2/apps/{app_id}/events/{event['id']}").json()["event"]
    assert again["id"] == event["id"] and again["deployment_id"] == dep_id


@pytest.mark.parametrize(("query", "count"), [
    ("event_types=AUTOSCALING", 0), ("event_types=deployment", 1),
    ("event_types=AUTOSCALING,DEPLOYMENT", 1),
    ("event_types=AUTOSCALING&event_types=DEPLOYMENT", 1),
    ("deployment_types=MANUAL_ROLLBACK", 0)])
def test_events_are_filtered_by_type(api: Api, shop: tuple[str, str], query: str,
                                     count: int) -> None:
    app_id, _ = shop
    resp = api.call("GET", f"/v2/apps/{app_id}/events?{query}")
    assert resp.status_code == 200 and len(resp.json()["events"]) == count


def test_unknown_event_types_and_ids_are_refused(api: Api, shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/events?event_types=SCALE,X"),
                           400, "bad_request")
    assert body["message"] == "event_types: unknown SCALE, X; expected DEPLOYMENT or AUTOSCALING"
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/events/{dep_id}"), 404,
                           "not_found")   # a deployment id is not its event's id
    assert "list-events" in body["message"]


def test_an_events_logs_default_to_its_deploy_log(api: Api, shop: tuple[str, str]) -> None:
    app_id, dep_id = shop
    write_log(api, app_id, dep_id, "deploy.log", ["-----> Deploying"])
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, dep_id))
    body = api.call("GET", f"/v2/apps/{app_id}/events/{event_id}/logs").json()
    assert "type=DEPLOY" in body["historic_urls"][0]
    assert fetch(api, body["historic_urls"][0]).text == "-----> Deploying\n"


# -- metrics -----------------------------------------------------------------------------------
def sample(app_id: str, at: float, instance: str = "", **values: Any) -> Sample:
    return Sample(app_id, "dep", values.pop("component", "site"), instance, at, 10, **values)


def test_daily_bandwidth_sums_the_bytes_sent_that_utc_day(api: Api,
                                                          shop: tuple[str, str]) -> None:
    app_id, _ = shop
    day = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    api.platform.store.add_samples([
        sample(app_id, day + 60, bytes_out=1000), sample(app_id, day + 86000, bytes_out=234),
        sample(app_id, day + 86400 + 1, bytes_out=5),             # the next day
        sample(app_id, day + 120, instance="site-0", bytes_out=99)])  # instances do not count
    body = api.call("GET", f"/v2/apps/{app_id}/metrics/bandwidth_daily"
                           "?date=2026-11-02T13:00:00.000Z").json()
    assert body == {"app_bandwidth_usage": [{"app_id": app_id, "bandwidth_bytes": "1234"}],
                    "date": "2026-11-02T00:00:00Z"}
    many = api.call("POST", "/v2/apps/metrics/bandwidth_daily",
                    {"app_ids": [app_id], "date": "2026-11-03"}).json()
    assert many["app_bandwidth_usage"] == [{"app_id": app_id, "bandwidth_bytes": "5"}]


def test_bandwidth_requests_with_bad_dates_or_ids_are_refused(api: Api,
                                                              shop: tuple[str, str]) -> None:
    app_id, _ = shop
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/metrics/bandwidth_daily"
                                           "?date=yesterday"), 400, "bad_request")
    assert "found 'yesterday'" in body["message"]
    for payload in ({}, {"app_ids": []}, {"app_ids": "x"}):
        body = assert_do_error(api.call("POST", "/v2/apps/metrics/bandwidth_daily", payload),
                               400, "bad_request")
        assert '"app_ids"' in body["message"]
    assert_do_error(api.call("POST", "/v2/apps/metrics/bandwidth_daily",
                             {"app_ids": [str(uuid.uuid4())]}), 404, "not_found")


def test_the_series_buckets_traffic_and_averages_instances(api: Api,
                                                           shop: tuple[str, str]) -> None:
    app_id, _ = shop
    base = (int(time.time()) // 600) * 600 - 1200
    api.platform.store.add_samples([
        sample(app_id, base + 10, requests=10, r2xx=9, r5xx=1, latency_p95_ms=30.0),
        sample(app_id, base + 20, requests=20, r2xx=20, latency_p95_ms=50.0),
        sample(app_id, base + 10, "site-0", cpu_percent=10.0, memory_bytes=100),
        sample(app_id, base + 10, "site-1", cpu_percent=30.0, memory_bytes=300)])
    body = api.call("GET", f"/v2/apps/{app_id}/metrics/series?since={base}&until={base + 600}"
                           "&step=60").json()
    assert body["step"] == 60 and body["app_id"] == app_id
    (site,) = body["components"]
    (point,) = site["points"]
    assert point["t"] == base and point["requests"] == 30 and point["r5xx"] == 1
    assert point["latency_p95_ms"] == 50.0           # the highest, never a sum
    assert point["requests_per_second"] == 1.5       # 30 requests over two 10 s samples
    assert point["cpu_percent"] == 20.0 and point["memory_bytes"] == 400
    assert [i["name"] for i in site["instances"]] == ["site-0", "site-1"]


def test_series_parameters_are_checked(api: Api, shop: tuple[str, str]) -> None:
    app_id, _ = shop
    body = assert_do_error(api.call("GET", f"/v2/apps/{app_id}/metrics/series?since=lately"),
                           400, "bad_request")
    assert "found 'lately'" in body["message"]
    assert_do_error(api.call("GET", f"/v2/apps/{app_id}/metrics/series?step=ten"), 400,
                    "bad_request")
    # a tiny step over a long range is raised so no answer has more than 1000 points
    body = api.call("GET", f"/v2/apps/{app_id}/metrics/series?since=30d&step=1").json()
    assert body["step"] >= 30 * 86400 // 1000


@pytest.mark.parametrize(("value", "back"), [("15m", 900), ("6h", 21600), ("2d", 172800),
                                              (None, 3600), ("30s", 30)])
def test_since_spans_count_back_from_now(value: str | None, back: int) -> None:
    assert since_of(value, 1_000_000.0) == 1_000_000.0 - back


def test_since_also_takes_unix_seconds_and_iso_times() -> None:
    assert since_of("1234.5", 0) == 1234.5
    assert since_of("2026-11-02T00:00:00Z", 0) == datetime(2026, 11, 2,
                                                           tzinfo=UTC).timestamp()
    with pytest.raises(DockyardError, match="since: expected"):
        since_of("15x", 0)


def test_days_are_utc_days_whatever_the_offset_given() -> None:
    assert day_of("2026-11-02T23:30:00-02:00") == datetime(2026, 11, 3, tzinfo=UTC)
    assert day_of("2026-11-02") == datetime(2026, 11, 2, tzinfo=UTC)
    assert day_of(None).hour == 0 and day_of(None).tzinfo is not None


def test_buckets_sum_counts_average_levels_and_keep_restarts_highest() -> None:
    rows = [sample("a", 100, requests=1, cpu_percent=10.0, restarts=1),
            sample("a", 110, requests=2, cpu_percent=20.0, restarts=2),
            sample("a", 130, requests=4)]
    points = bucket(rows, 120)
    assert [(p["t"], p.get("requests"), p.get("cpu_percent"), p.get("restarts"))
            for p in points] == [(0, 3, 15.0, 2), (120, 4, None, None)]
    assert "cpu_percent" not in bucket([sample("a", 5)], 60)[0]  # no value: no key, never 0


def test_folding_instances_adds_memory_and_restarts_and_averages_the_rest() -> None:
    assert fold("memory_bytes", [100, None, 300]) == 400
    assert fold("restarts", [1, 2]) == 3
    assert fold("cpu_percent", [10.0, 30.0]) == 20.0
    assert fold("cpu_percent", [None, None]) is None


# -- bodies and error shapes ----------------------------------------------------------------------
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(api: Api) -> None:
    resp = api.call("POST", "/v2/apps", None, content=b"{}",
                    headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
    body = assert_do_error(resp, 413, "request_too_large")
    assert body["message"] == "request body is larger than the limit of 512 KiB (524,288 bytes)"


def test_a_streamed_body_is_cut_at_the_limit(api: Api) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    before = api.call("GET", "/v2/apps").json()["apps"]
    resp = api.call("POST", "/v2/apps", None, content=chunks())
    body = assert_do_error(resp, 413, "request_too_large")
    assert "512 KiB" in body["message"]
    assert api.call("GET", "/v2/apps").json()["apps"] == before


def test_the_webhook_takes_bigger_bodies_and_a_bad_length_is_a_400(api: Api) -> None:
    big = b'{"zen": "' + b"x" * (MAX_BODY_BYTES + 1000) + b'"}'
    resp = api.call("POST", "/v2/webhooks/github", None, token=None, content=big,
                    headers={"X-GitHub-Event": "ping"})
    assert resp.status_code != 413, resp.text
    resp = api.call("POST", "/v2/apps", None, content=b"{}",
                    headers={"Content-Length": "12abc"})
    body = assert_do_error(resp, 400, "bad_request")
    assert body["message"] == "Content-Length is not a number"


@pytest.mark.parametrize(("method", "path", "status", "error_id"), [
    ("GET", "/v2/nothing-here", 404, "not_found"),
    ("PATCH", "/v2/apps", 405, "method_not_allowed"),
    ("GET", "/v2/apps/00000000-0000-4000-8000-00000000dead/events", 404, "not_found")])
def test_every_error_has_digitaloceans_shape(api: Api, method: str, path: str, status: int,
                                             error_id: str) -> None:
    assert_do_error(api.call(method, path), status, error_id)


def test_a_body_that_is_not_a_json_object_is_refused(api: Api) -> None:
    for raw in (b"[1, 2]", b'"spec"', b"{not json"):
        resp = api.call("POST", "/v2/apps", None, content=raw,
                        headers={"Content-Type": "application/json"})
        assert_do_error(resp, 400, "bad_request")
