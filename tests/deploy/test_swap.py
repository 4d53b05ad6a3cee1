"""``deploy/swap.py`` step by step: start new beside old, gate, switch, retire (drain, stop).

Releases are made by hand (no build); instances run as real processes through the recording
runtime; the router double says where traffic points.
"""

from __future__ import annotations

import time

import pytest

from dockyard.deploy import swap
from dockyard.deploy.context import deployment_instances
from dockyard.deploy.services import Services
from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.runtime import Instance, State
from tests.deploy.conftest import Deployer, get, source, start_new, tiny_spec, with_parts
from tests.deploy.doubles import RecordingRouter, RecordingRuntime


# -- 1. start new ------------------------------------------------------------------------------
def test_start_new_gives_each_service_instance_a_fresh_port_and_workers_none(
        deployer: Deployer, runtime: RecordingRuntime):
    repo = deployer.repo
    ctx = deployer.prepared(with_parts(tiny_spec(repo, instance_count=2), workers=[
        source(repo, name="queue", run_command="exec sleep 300")]))
    used = {ctx.app.port}
    new = start_new(ctx, used)
    assert [(i.alias, i.port is None) for i in new] == [("web-0", False), ("web-1", False),
                                                       ("queue-0", True)]
    ports = [i.port for i in new if i.port]
    assert len(set(ports)) == 2 and ctx.app.port not in ports
    assert used == {ctx.app.port, *ports}  # the next component will not take them
    assert runtime.started() == new
    stored = deployer.records(ctx.dep)
    assert [(i.index, i.port, i.program) for i in stored["web"].instances] == \
        [(i.index, i.port, i.program) for i in new[:2]]
    log = deployer.log(ctx.dep)
    assert "-----> Starting 2 instance(s) of service 'web': python app.py" in log
    assert "-----> Starting 1 instance(s) of worker 'queue': exec sleep 300" in log


def test_each_launch_carries_its_port_size_grace_and_labels(deployer: Deployer,
                                                            runtime: RecordingRuntime):
    ctx = deployer.prepared(tiny_spec(deployer.repo, instance_size_slug="apps-s-1vcpu-1gb",
                                      termination={"grace_period_seconds": 7}))
    [inst] = start_new(ctx)
    launch = runtime.instances[inst.program].launch
    assert launch.env["PORT"] == str(inst.port)
    assert launch.sealed == ("APP_URL",)  # the spec's values leave memory encrypted
    assert runtime.env(launch)["APP_URL"] == f"http://127.0.0.1:{ctx.app.port}"
    assert (launch.kind, launch.size, launch.grace_seconds) == ("service", "apps-s-1vcpu-1gb", 7)
    assert launch.labels == {"app": "tiny", "component": "web", "deployment": ctx.dep.id}
    assert launch.app_dir == ctx.components["web"].app_dir


def test_nothing_routes_to_new_instances_until_the_switch(deployer: Deployer,
                                                          router: RecordingRouter):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    new = start_new(ctx)
    swap.gate(ctx, new)
    assert router.calls == []
    old = swap.switch(ctx)
    assert old == [] and router.active(ctx.app.id) == {"web": [new[0].port]}


# -- 2. the gate -------------------------------------------------------------------------------
def test_the_gate_passes_healthy_services_and_running_workers(deployer: Deployer):
    repo = deployer.repo
    ctx = deployer.prepared(with_parts(tiny_spec(repo), workers=[
        source(repo, name="queue", run_command="exec sleep 300")]))
    new = start_new(ctx)
    swap.gate(ctx, new)
    log = deployer.log(ctx.dep)
    assert f"-----> web-0 is healthy (GET /health on 127.0.0.1:{new[0].port}" in log
    assert "-----> Worker queue-0 is running" in log
    assert get(new[0].port, "/health", host=f"127.0.0.1:{ctx.app.port}") == (200, "ok\n")


def test_the_health_check_carries_the_live_host_header(deployer: Deployer):
    """The app answers 400 to any other Host (as Django's ALLOWED_HOSTS does): passing the
    gate proves the header, and a request without it shows the app would refuse it."""
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    new = start_new(ctx)
    swap.gate(ctx, new)
    status, body = get(new[0].port, "/health", host="evil.example")
    assert status == 400 and "bad Host evil.example" in body


def test_without_an_http_path_the_gate_connects_over_tcp(deployer: Deployer):
    ctx = deployer.prepared(tiny_spec(deployer.repo, health_check={"period_seconds": 1}))
    new = start_new(ctx)
    swap.gate(ctx, new)
    assert f"web-0 is healthy (TCP connect on 127.0.0.1:{new[0].port}" in deployer.log(ctx.dep)


@pytest.mark.parametrize("state", [State.FATAL, State.BACKOFF, State.STOPPED])
def test_an_instance_in_a_failed_state_fails_the_gate_at_once(deployer: Deployer,
                                                              runtime: RecordingRuntime,
                                                              state: State):
    runtime.processes = False
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    new = start_new(ctx)
    runtime.states[new[0].program] = state
    runtime.log_path(new[0]).write_text("line one\nModuleNotFoundError: No module named 'x'\n")
    with pytest.raises(DockyardError) as err:
        swap.gate(ctx, new)
    assert err.value.code == "deploy.instance_exited"
    assert err.value.message == (f"instance stopped before it became healthy: {state}; last "
                                 "run log lines:\nline one\n"
                                 "ModuleNotFoundError: No module named 'x'")


def test_exit_reason_names_a_crash_loop_with_the_last_fifteen_lines(deployer: Deployer,
                                                                    runtime: RecordingRuntime):
    runtime.processes = False
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    [inst] = start_new(ctx)
    runtime.log_path(inst).write_text("".join(f"attempt {n}\n" for n in range(40)))
    gone = swap.exit_reason(runtime, inst)
    assert gone() is None
    runtime.instances[inst.program].restarts += [time.time()] * swap.CRASH_LOOP_RESTARTS
    why = gone()
    assert why is not None and why.startswith("crash-looping: restarted 3 times")
    assert why.splitlines()[1:] == [f"attempt {n}" for n in range(25, 40)]


def test_a_worker_that_never_reaches_running_times_out(deployer: Deployer,
                                                       runtime: RecordingRuntime,
                                                       monkeypatch: pytest.MonkeyPatch):
    runtime.processes = False
    repo = deployer.repo
    ctx = deployer.prepared(with_parts(tiny_spec(repo), workers=[
        source(repo, name="queue", run_command="exec sleep 300")]))
    new = start_new(ctx)
    runtime.states[new[1].program] = State.STARTING
    monkeypatch.setattr(swap, "WORKER_START_TIMEOUT", 0.3)
    with pytest.raises(DockyardError) as err:
        swap.wait_running(runtime, new[1], swap.exit_reason(runtime, new[1]))
    assert err.value.code == "deploy.instance_timeout"
    assert err.value.message == "worker queue-0 did not start in 0 s"


# -- 3. the switch -----------------------------------------------------------------------------
def test_switch_returns_what_served_before_and_points_every_service_at_the_new_ports(
        deployer: Deployer, router: RecordingRouter):
    repo = deployer.repo
    spec = with_parts(tiny_spec(repo, instance_count=2), services=[
        source(repo, name="api", run_command="python app.py", routes=[{"path": "/api"}])])
    first = deployer.live(spec)
    ctx = deployer.prepared(spec, app=first.app)
    new = start_new(ctx)
    old = swap.switch(ctx)
    assert old == deployment_instances(first.app.id, first.dep)
    assert router.switches()[-1] == (ctx.app.id, {
        "web": [i.port for i in new if i.component == "web"],
        "api": [i.port for i in new if i.component == "api"]})
    routing = router.table[ctx.app.id]
    assert [(s.component, s.instances) for s in routing.services] == [("web", 2), ("api", 1)]


def test_the_routing_table_carries_every_other_app_at_its_live_spec(deployer: Deployer,
                                                                    router: RecordingRouter,
                                                                    services: Services):
    repo = deployer.repo
    other = deployer.live(tiny_spec(repo, name="other"))
    never_live = deployer.create(tiny_spec(repo, name="draft"))
    ctx = deployer.prepared(tiny_spec(repo, name="mine"))
    table = swap.routing_table(services, ctx.app, ctx.spec)
    assert [a.app_id for a in table] == [ctx.app.id, other.app.id]
    assert never_live.id not in {a.app_id for a in table}
    assert [(a.name, a.port) for a in table] == [("mine", ctx.app.port),
                                                 ("other", other.app.port)]


def test_switched_to_tells_whether_the_router_already_serves_these_records(
        deployer: Deployer, router: RecordingRouter, services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo, instance_count=2))
    start_new(ctx)
    records = list(ctx.components.values())
    assert not swap.switched_to(services, ctx.app.id, records)
    ports = [i.port for i in ctx.components["web"].instances]
    router.switch(ctx.app.id, {"web": ports[:1] + [1]})
    assert not swap.switched_to(services, ctx.app.id, records)
    router.switch(ctx.app.id, {"web": list(reversed(ports))})
    assert swap.switched_to(services, ctx.app.id, records)  # order does not matter


def test_records_without_service_instances_never_count_as_switched(deployer: Deployer,
                                                                   services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    assert not swap.switched_to(services, ctx.app.id, list(ctx.components.values()))
    assert not swap.switched_to(services, ctx.app.id, [])


# -- 4. retire ---------------------------------------------------------------------------------
def test_retire_supersedes_the_previous_deployment_and_stops_its_instances(
        deployer: Deployer, runtime: RecordingRuntime, services: Services):
    spec = tiny_spec(deployer.repo)
    first = deployer.live(spec)
    second = deployer.live(spec, app=first.app)
    old = deployment_instances(first.app.id, first.dep)
    began = time.monotonic()
    swap.retire(services, second.app, second.dep, old)
    assert time.monotonic() - began >= swap.MIN_DRAIN_SECONDS
    assert deployer.phase(first.dep) == "SUPERSEDED" and deployer.phase(second.dep) == "ACTIVE"
    assert runtime.stopped() == old
    assert [i.deployment_id for i in runtime.alive()] == [second.dep.id]
    assert "-----> Stopped 1 old instance(s) after 1." in deployer.log(second.dep)


@pytest.fixture
def old(deployer: Deployer) -> list[Instance]:
    """The instances of a live deployment, about to be drained."""
    ctx = deployer.live(tiny_spec(deployer.repo))
    return deployment_instances(ctx.app.id, ctx.dep)


def test_drain_waits_for_in_flight_requests_before_stopping(
        old: list[Instance], router: RecordingRouter, runtime: RecordingRuntime,
        services: Services, log: Log):
    answers = iter([2, 1, 1, 0])
    router.in_flight = lambda _app, _comp, _ports: next(answers)
    swap.drain(services, old[0].app_id, old, {"web": 30.0}, log)
    asked = [args for name, args in router.calls if name == "sessions"]
    assert asked == [(old[0].app_id, "web", [old[0].port])] * 4
    assert runtime.stopped() == old


def test_drain_stops_busy_instances_once_drain_seconds_pass(
        old: list[Instance], router: RecordingRouter, runtime: RecordingRuntime,
        services: Services, log: Log):
    router.in_flight = lambda _app, _comp, _ports: 1  # a request that never ends
    began = time.monotonic()
    swap.drain(services, old[0].app_id, old, {"web": 1.5}, log)
    assert time.monotonic() - began >= 1.5
    assert runtime.stopped() == old


def test_retire_reads_drain_seconds_from_the_spec(deployer: Deployer, router: RecordingRouter,
                                                  runtime: RecordingRuntime, services: Services):
    spec = tiny_spec(deployer.repo, termination={"drain_seconds": 1})
    first = deployer.live(spec)
    second = deployer.live(spec, app=first.app)
    router.in_flight = lambda _app, _comp, _ports: 1
    began = time.monotonic()
    swap.retire(services, second.app, second.dep, deployment_instances(first.app.id, first.dep))
    took = time.monotonic() - began
    assert 1.0 <= took < swap.DEFAULT_DRAIN_SECONDS  # the spec's 1 s, not the 15 s default
    assert runtime.stopped() == deployment_instances(first.app.id, first.dep)


def test_drain_with_nothing_old_stops_nothing(services: Services, runtime: RecordingRuntime,
                                              router: RecordingRouter, log: Log):
    swap.drain(services, "app", [], {}, log)
    assert runtime.calls == [] and router.calls == []
    assert log.path is not None and log.path.read_text() == ""


def test_active_instances_are_those_of_active_deployments(deployer: Deployer,
                                                          services: Services):
    spec = tiny_spec(deployer.repo, instance_count=2)
    first = deployer.live(spec)
    pending = deployer.prepared(spec, app=first.app)
    start_new(pending)
    active = swap.active_instances(services, first.app.id)
    assert [i.deployment_id for i in active] == [first.dep.id] * 2
    assert [i.alias for i in active] == ["web-0", "web-1"]
