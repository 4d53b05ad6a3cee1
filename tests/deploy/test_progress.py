"""DigitalOcean's progress tree: leaf counters, roll-up of parents, failure marking."""

from __future__ import annotations

from dockyard.deploy.progress import fail_open_steps, leaves, mark, new_progress


def test_one_service_has_six_leaf_steps_like_digitalocean():
    p = new_progress([("service", "web")])
    assert p["total_steps"] == 6 and p["pending_steps"] == 6
    names = [s.get("component_name", s["name"]) for s in leaves(p["steps"])]
    assert names == ["initialize", "web", "initialize", "web", "web", "finalize"]


def test_marking_a_branch_marks_its_leaves_and_rolls_up():
    p = new_progress([("service", "web"), ("static_site", "static")])
    p = mark(p, ("build",), "SUCCESS")
    assert p["steps"][0]["status"] == "SUCCESS"
    assert p["success_steps"] == 3 and p["steps"][1]["status"] == "PENDING"
    p = mark(p, ("deploy", "initialize"), "RUNNING")
    assert p["running_steps"] == 1 and p["steps"][1]["status"] == "RUNNING"


def test_a_failure_marks_the_running_step_with_the_reason():
    p = mark(new_progress([("service", "web")]), ("build", "components", "web"), "RUNNING")
    p = fail_open_steps(p, {"code": "build.failed", "message": "boom"})
    failed = [s for s in leaves(p["steps"]) if s["status"] == "ERROR"]
    assert [s["component_name"] for s in failed] == ["web"]
    assert failed[0]["reason"]["code"] == "build.failed"
    assert p["error_steps"] == 1 and p["steps"][0]["status"] == "ERROR"


def test_jobs_are_built_but_have_no_deploy_step():
    p = new_progress([("service", "web"), ("job", "migrate")])
    assert p["total_steps"] == 7
