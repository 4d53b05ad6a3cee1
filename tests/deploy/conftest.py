"""Fixtures for the deploy core: a real home, SQLite store, git repository and builds; the
runtime and the router are the test doubles of ``tests/deploy/doubles.py``.

``Deployer`` drives deployments the way the engine's worker does (``open_context`` →
``Pipeline.run``), in this process, so a test can watch every phase and seam.
"""

from __future__ import annotations

import http.client
import shutil
import sys
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from dockyard.deploy.context import DeployContext, open_context
from dockyard.deploy.phases import Phase, transition
from dockyard.deploy.pipeline import Pipeline
from dockyard.deploy.platform import Platform
from dockyard.deploy.progress import new_progress
from dockyard.deploy.services import Services
from dockyard.logs import Log
from dockyard.paths import Home
from dockyard.release.bindings import Bindings, bindings_for
from dockyard.release.record import ComponentRecord, records_of
from dockyard.runtime import Instance
from dockyard.settings import Settings, free_port
from dockyard.store import App, Deployment, Store
from tests.alerts.conftest import receiver  # noqa: F401 - a webhook receiver for alert tests
from tests.conftest import warm_home
from tests.deploy.doubles import RecordingRouter, RecordingRuntime
from tests.source.gitrepo import commit, git, make_repo

TINY = Path(__file__).resolve().parents[1] / "apps" / "tiny_service"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A DOCKYARD_HOME with a warm package cache; the spec checks read its secrets key."""
    home = Home(warm_home(tmp_path / "home"))
    monkeypatch.setenv("DOCKYARD_HOME", str(home.root))
    return home


@pytest.fixture
def runtime(home: Home) -> Iterator[RecordingRuntime]:
    runtime = RecordingRuntime(home)
    yield runtime
    runtime.close()


@pytest.fixture
def router() -> RecordingRouter:
    return RecordingRouter()


@pytest.fixture
def services(home: Home, runtime: RecordingRuntime, router: RecordingRouter
             ) -> Iterator[Services]:
    settings = Settings(api_port=free_port(), router_port=free_port(),
                        postgres_port=free_port(), isolation="off")  # no users, no sandbox
    store = Store(home.db)
    services = Services(home, settings, store, runtime_override=runtime,
                        router_override=router)
    yield services
    services.close()
    store.close()


@pytest.fixture
def platform(services: Services, runtime: RecordingRuntime,
             router: RecordingRouter) -> Iterator[Platform]:
    """The API's facade on these services, its engine stopped: deployments it queues stay
    PENDING_BUILD, where a test can read them."""
    platform = Platform(services.home, services.settings, services.store)
    platform.services.runtime_override = runtime
    platform.services.router_override = router
    platform.engine.stop()
    yield platform
    platform.services.close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository (branch main) holding ``tests/apps/tiny_service``."""
    return make_repo(tmp_path / "tiny", TINY)


def source(repo: Path, **extra: Any) -> dict[str, Any]:
    return {"git": {"repo_clone_url": str(repo), "branch": "main"}, **extra}


def tiny_spec(repo: Path, name: str = "tiny", **web: Any) -> dict[str, Any]:
    """One service ``web`` running ``app.py`` with a fast health check on ``/health``."""
    service = source(repo, name="web", run_command="python app.py",
                     routes=[{"path": "/"}],
                     health_check={"http_path": "/health", "period_seconds": 1,
                                   "failure_threshold": 5},
                     envs=[{"key": "APP_URL", "scope": "RUN_TIME", "value": "${APP_URL}"}])
    service.update(web)
    return {"name": name, "services": [service]}


def job(repo: Path, name: str, kind: str, command: str) -> dict[str, Any]:
    return source(repo, name=name, kind=kind, run_command=command)


def with_parts(spec: dict[str, Any], **groups: list[dict[str, Any]]) -> dict[str, Any]:
    """``spec`` with components added to its groups (``jobs=[…]``, ``workers=[…]`` …)."""
    out = deepcopy(spec)
    for group, parts in groups.items():
        out.setdefault(group, []).extend(parts)
    return out


class Deployer:
    """Creates apps and runs their deployments through ``Pipeline`` in this process."""

    def __init__(self, services: Services, repo: Path) -> None:
        self.services = services
        self.repo = repo
        self.contexts: list[DeployContext] = []

    @property
    def store(self) -> Store:
        return self.services.store

    def create(self, spec: dict[str, Any]) -> App:
        from dockyard.deploy.specs import check

        checked = check(data=spec)
        return self.store.create_app(checked["name"], checked["spec"], checked["yaml"],
                                     checked["notes"], port=free_port())

    def create_unchecked(self, spec: dict[str, Any]) -> App:
        """An app whose spec was stored as it is, as specs stored before a check that now
        refuses them were (the pipeline still has to refuse them)."""
        return self.store.create_app(spec["name"], spec, "", [], port=free_port())

    def update(self, app: App, spec: dict[str, Any]) -> App:
        from dockyard.deploy.specs import check

        checked = check(data=spec)
        return self.store.update_spec(app.id, checked["spec"], checked["yaml"],
                                      checked["notes"])

    def queue(self, app: App, **fields: Any) -> Deployment:
        return self.store.create_deployment(self.store.get_app(app.id),
                                            phase=Phase.PENDING_BUILD.value,
                                            cause=fields.pop("cause", "test"), **fields)

    def run(self, dep: Deployment) -> Deployment:
        Pipeline(open_context(self.services, dep.app_id, dep.id)).run()
        return self.store.get_deployment(dep.app_id, dep.id)

    def deploy(self, app: App, **fields: Any) -> Deployment:
        return self.run(self.queue(app, **fields))

    def commit(self, files: dict[str, str]) -> str:
        return commit(self.repo, files)

    def remove(self, path: str) -> str:
        git(self.repo, "rm", "-q", path)
        git(self.repo, "commit", "-q", "-m", f"remove {path}")
        return git(self.repo, "rev-parse", "HEAD")

    def release(self, dep: Deployment, name: str = "web", kind: str = "service"
                ) -> ComponentRecord:
        """A release of ``tiny_service`` made by hand (no build): its files and record."""
        target = self.services.home.release(dep.app_id, dep.id, name)
        shutil.copytree(TINY, target / "app")
        return ComponentRecord(name=name, kind=kind, commit="c0ffee" * 6 + "c0ff",
                               release=target, buildpack="python", app_dir=target / "app",
                               run_path=[str(Path(sys.executable).parent)])

    def prepared(self, spec: dict[str, Any], phase: Phase = Phase.DEPLOYING,
                 app: App | None = None) -> DeployContext:
        """A deployment of ``spec`` in ``phase`` with hand-made releases of its services,
        workers and jobs, opened as the worker opens it."""
        app = self.update(app, spec) if app else self.create(spec)
        dep = self.queue(app)
        records = [self.release(dep, c["name"], kind) for kind in ("service", "worker", "job")
                   for c in spec.get(f"{kind}s", [])]
        dep = self.store.update_deployment(dep, components=[r.to_dict() for r in records])
        for step in (Phase.BUILDING, Phase.PENDING_DEPLOY, Phase.DEPLOYING, Phase.ACTIVE):
            if Phase(dep.phase) == phase:
                break
            dep = transition(self.store, dep, step)
        ctx = open_context(self.services, app.id, dep.id)
        ctx.save(progress=new_progress([(k, c.name) for k, c in ctx.built()]))  # as run() does
        self.contexts.append(ctx)
        return ctx

    def live(self, spec: dict[str, Any], app: App | None = None) -> DeployContext:
        """A deployment of hand-made releases that went through the swap and is ACTIVE:
        what serves before the deployment a test is about (no build needed)."""
        from dockyard.deploy import swap

        ctx = self.prepared(spec, app=app)
        new = start_new(ctx)
        swap.gate(ctx, new)
        swap.switch(ctx)
        ctx.dep = transition(ctx.store, ctx.dep, Phase.ACTIVE)
        return ctx

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.log.close()

    def log(self, dep: Deployment, name: str = "deploy.log") -> str:
        path = self.services.home.logs(dep.app_id) / dep.id / name
        return path.read_text() if path.exists() else ""

    def phase(self, dep: Deployment) -> str:
        return self.store.get_deployment(dep.app_id, dep.id).phase

    def records(self, dep: Deployment) -> dict[str, ComponentRecord]:
        stored = self.store.get_deployment(dep.app_id, dep.id)
        return {r.name: r for r in records_of(stored.components)}

    def ports(self, dep: Deployment, component: str = "web") -> list[int]:
        return [i.port for i in self.records(dep)[component].instances if i.port]


@pytest.fixture
def deployer(services: Services, repo: Path) -> Iterator[Deployer]:
    deployer = Deployer(services, repo)
    yield deployer
    deployer.close()


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    log = Log(tmp_path / "test.log")
    yield log
    log.close()


def start_new(ctx: DeployContext, used: set[int] | None = None) -> list[Instance]:
    """``swap.start_new`` as the pipeline calls it; the instances it started."""
    from dockyard.deploy import swap

    started: list[Instance] = []
    swap.start_new(ctx, bindings(ctx), set() if used is None else used, started)
    return started


def webhook_to(services: Services, app: App, rule: str, url: str,
               component: str | None = None) -> None:
    """Send the app's ``rule`` alerts to the webhook at ``url`` (as update-alert-destinations
    does)."""
    from dockyard.deploy.notify import alert_id, set_destinations

    set_destinations(services, app, alert_id(app.id, component, rule),
                     {"slack_webhooks": [{"url": url, "channel": "ops"}]})


def bindings(ctx: DeployContext) -> Bindings:
    """The bindable values the pipeline would resolve for this deployment."""
    return bindings_for(ctx.spec, ctx.app.id, ctx.app.port, ctx.live_url,
                        {n: r.commit for n, r in ctx.components.items()})


def get(port: int, path: str = "/", host: str | None = None) -> tuple[int, str]:
    """One GET to an instance on 127.0.0.1."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()
