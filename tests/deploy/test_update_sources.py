"""An update keeps the commit of each component whose source did not change (DigitalOcean's
``update_all_source_versions`` defaults to false): scaling a component ships no new code."""

from __future__ import annotations

from pathlib import Path

from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.platform import kept_commits
from dockyard.release.record import ComponentRecord
from dockyard.store import Store

GIT = {"repo_clone_url": "https://example.invalid/a.git", "branch": "main"}


def spec(**web: object) -> dict:
    return {"name": "shop", "services": [{"name": "web", "git": dict(GIT), **web}],
            "workers": [{"name": "queue", "git": {**GIT, "branch": "jobs"}}]}


def live_app(tmp_path: Path) -> tuple[Store, object]:
    store = Store(tmp_path / "db")
    app = store.create_app("shop", spec(), "", [], port=40000)
    dep = store.create_deployment(app, phase=Phase.PENDING_BUILD.value, cause="t")
    for phase in (Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING, Phase.ACTIVE):
        dep = transition(store, dep, phase)
    records = [ComponentRecord("web", "service", "aaa111", Path("/r/web")),
               ComponentRecord("queue", "worker", "bbb222", Path("/r/queue"))]
    store.update_deployment(dep, components=[r.to_dict() for r in records])
    return store, store.get_app(app.id)


def test_a_scaled_component_keeps_its_commit(tmp_path: Path) -> None:
    store, app = live_app(tmp_path)
    assert kept_commits(store, app, spec(instance_count=3)) == {"web": "aaa111",
                                                                 "queue": "bbb222"}


def test_a_component_whose_branch_changed_gets_the_newest(tmp_path: Path) -> None:
    store, app = live_app(tmp_path)
    moved = spec()
    moved["services"][0]["git"]["branch"] = "release"
    assert kept_commits(store, app, moved) == {"queue": "bbb222"}


def test_a_new_component_and_an_app_never_live_pin_nothing(tmp_path: Path) -> None:
    store, app = live_app(tmp_path)
    grown = spec()
    grown["services"].append({"name": "api", "git": dict(GIT)})
    assert "api" not in kept_commits(store, app, grown)
    fresh = store.create_app("other", spec(), "", [], port=40001)
    assert kept_commits(store, fresh, spec()) == {}
