"""The shape check the pydo walk relies on: pydo's documented examples read back, and a body
that DigitalOcean would not send is caught, naming where."""

from __future__ import annotations

from tests.api.pydo_shapes import ENUM, EXAMPLE_TIME, documented, mismatches, operations


def test_every_operation_documents_a_body_for_200_or_404():
    for name in operations():
        bodies = documented(name)
        assert bodies, name
        if "404" in bodies:
            assert set(bodies["404"]) == {"id", "message", "request_id"}, name


def test_examples_keep_types_enums_and_timestamps():
    dep = documented("get_deployment")["200"]["deployment"]
    assert dep["phase"].startswith(ENUM) and "SUPERSEDED" in dep["phase"]
    assert dep["created_at"] == EXAMPLE_TIME
    assert dep["progress"]["total_steps"] == 0
    size = documented("get_instance_size")["200"]["instance_size"]
    assert size["bandwidth_allowance_gib"] == "str" and size["scalable"] is True
    region = documented("list_regions")["200"]["regions"][0]
    assert region["data_centers"] == ["str"]


def test_a_body_digitalocean_would_not_send_is_caught():
    doc = documented("get_deployment")["200"]
    good = {"deployment": {"id": "d", "phase": "ACTIVE", "created_at": "2026-01-02T03:04:05Z",
                           "progress": {"total_steps": 6, "steps": [{"status": "SUCCESS"}]}}}
    assert mismatches(doc, good) == []
    bad = {"deployment": {"id": 7, "phase": "DONE", "created_at": "yesterday", "colour": "red",
                          "progress": {"total_steps": "6", "steps": [{"status": "OK"}]}}}
    found = "\n".join(mismatches(doc, bad))
    for where in (".deployment.id", ".deployment.phase", ".deployment.created_at",
                  ".deployment.colour", ".deployment.progress.total_steps",
                  ".deployment.progress.steps[0].status"):
        assert where + ":" in found, found
    assert mismatches(doc, bad, extra=(r"\.deployment\.colour",)) != []
    assert ".deployment.colour" not in "\n".join(
        mismatches(doc, bad, extra=(r"\.deployment\.colour",)))


def test_a_value_outside_an_enum_passes_only_where_it_is_named():
    doc = documented("get")["200"]
    body = {"app": {"spec": {"name": "a", "jobs": [{"name": "j", "kind": "SCHEDULED"}]}}}
    assert mismatches(doc, body) == [".app.spec.jobs[0].kind: 'SCHEDULED' is not one of "
                                     "UNSPECIFIED, PRE_DEPLOY, POST_DEPLOY, FAILED_DEPLOY"]
    assert mismatches(doc, body, extra=(r".*\.kind=SCHEDULED",)) == []
    assert mismatches(doc, body, extra=(r".*\.kind=NIGHTLY",)) != []
