"""``open_context``: a deployment's spec, log and records, ready for the pipeline."""

from __future__ import annotations

from dockyard.deploy.context import deployment_instances, open_context
from dockyard.deploy.services import Services
from dockyard.release.record import InstanceRecord
from tests.deploy.conftest import Deployer, source, tiny_spec, with_parts

SECRET = "s3cret-value-for-the-log"


def test_the_deploy_log_masks_the_specs_secrets_from_the_first_line(deployer: Deployer):
    spec = tiny_spec(deployer.repo)
    spec["envs"] = [{"key": "TOKEN", "type": "SECRET", "value": SECRET}]
    ctx = deployer.prepared(spec)
    ctx.log.step(f"the token is {SECRET}")
    ctx.mask(["db-password-123", "", "db-password-123"])
    ctx.log.child("connecting with db-password-123")
    ctx.log.close()
    assert deployer.log(ctx.dep).splitlines() == ["-----> the token is ***",
                                                  "       connecting with ***"]
    assert ctx.secrets == [SECRET, "db-password-123"]
    build = ctx.build_log("web")
    build.close()
    assert build.mask(f"echo {SECRET}") == "echo ***"  # build logs mask them too


def test_a_consoles_context_opens_no_deploy_log(deployer: Deployer, services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    console = open_context(services, ctx.app.id, ctx.dep.id, deploy_log=False)
    console.log.step("not written anywhere")
    assert console.log.path is None and deployer.log(ctx.dep) == ""


def test_records_live_url_and_logs_dir_are_read_back(deployer: Deployer, services: Services):
    first = deployer.prepared(tiny_spec(deployer.repo))
    ctx = open_context(services, first.app.id, first.dep.id)
    ctx.log.close()
    assert ctx.components["web"].app_dir == first.components["web"].app_dir
    assert ctx.live_url == f"http://127.0.0.1:{first.app.port}"
    assert ctx.logs_dir == services.home.logs(first.app.id) / first.dep.id
    assert ctx.spec_dict()["name"] == "tiny"


def test_built_lists_what_dockyard_builds_in_spec_order(deployer: Deployer):
    repo = deployer.repo
    spec = with_parts(tiny_spec(repo), workers=[source(repo, name="queue")],
                      static_sites=[source(repo, name="docs")],
                      databases=[{"name": "db", "engine": "PG"}])
    ctx = deployer.prepared(spec)
    assert [(kind, c.name) for kind, c in ctx.built()] == [
        ("service", "web"), ("worker", "queue"), ("static_site", "docs")]


def test_seal_and_reveal_round_trip_and_plaintext_passes_through(deployer: Deployer):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    sealed = ctx.seal("p@ss")
    assert sealed.startswith("EV[1:dky-") and ctx.reveal(sealed) == "p@ss"
    assert ctx.reveal("plain") == "plain"


def test_saved_components_and_their_instances_survive_a_reopen(deployer: Deployer,
                                                                services: Services):
    ctx = deployer.prepared(tiny_spec(deployer.repo))
    ctx.components["web"].instances = [InstanceRecord(0, 41001, "p0"),
                                       InstanceRecord(1, 41002, "p1")]
    ctx.save_components()
    again = open_context(services, ctx.app.id, ctx.dep.id)
    again.log.close()
    assert [i.port for i in again.components["web"].instances] == [41001, 41002]
    assert [(i.alias, i.port, i.deployment_id) for i in deployment_instances(
        ctx.app.id, again.dep)] == [("web-0", 41001, ctx.dep.id), ("web-1", 41002, ctx.dep.id)]
