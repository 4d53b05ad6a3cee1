"""Runs deployments in the background: one at a time per app, newest pending wins.

Deployments are records first (``PENDING_BUILD``); a thread per app picks them up and runs
each in a worker process (``deploy.worker``). Pending deployments that pile up while one runs
coalesce: only the newest is built, the others end ``CANCELED``. After a restart, a
deployment whose worker still runs is left to it; one whose swap already happened is
finished; any other ends ``ERROR`` with the reason, its new instances are stopped, and the
app keeps serving its active release.
"""

from __future__ import annotations

import logging
import subprocess
import threading

from dockyard.deploy import swap
from dockyard.deploy.context import deployment_instances
from dockyard.deploy.phases import IN_PROGRESS, Phase, transition
from dockyard.deploy.services import Services
from dockyard.entrypoints import DEPLOY_WORKER, argv
from dockyard.locks import deploy_lock_held
from dockyard.release.record import records_of
from dockyard.store import Deployment

logger = logging.getLogger("dockyard.deploy")
INTERRUPTED = "interrupted: the API server stopped during this deployment; deploy again"


class Engine:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.lock = threading.Lock()
        self.workers: dict[str, threading.Thread] = {}
        self.stopping = threading.Event()

    def start(self) -> None:
        self.recover()
        for app in self.services.store.list_apps():
            self.submit(app.id)

    def stop(self) -> None:
        self.stopping.set()

    def submit(self, app_id: str) -> None:
        with self.lock:
            worker = self.workers.get(app_id)
            if worker and worker.is_alive():
                return
            worker = threading.Thread(target=self.work, args=(app_id,), daemon=True,
                                      name=f"deploy-{app_id[:8]}")
            self.workers[app_id] = worker
            worker.start()

    def next_deployment(self, app_id: str) -> str | None:
        """The deployment to run next; the other pending ones are coalesced into it.

        The newest wins, except that a restart never wins over another deployment: a
        restart asks for fresh instances of what is (or is about to be) live, which that
        deployment starts anyway — so a user's rollback is never cancelled by a restart.
        """
        store = self.services.store
        pending = store.list_deployments(app_id, phases=(Phase.PENDING_BUILD.value,))
        if not pending:
            return None
        chosen = next((d for d in pending if not is_restart(d)), pending[0])
        for other in pending:
            if other.id != chosen.id:
                store.update_deployment(other, error_code="deploy.coalesced",
                                        error_message=f"coalesced into deployment {chosen.id}")
                transition(store, other, Phase.CANCELED)
        return chosen.id

    def work(self, app_id: str) -> None:
        while not self.stopping.is_set():
            with self.lock:
                try:
                    dep_id = self.next_deployment(app_id)
                except Exception:  # the app was deleted meanwhile
                    dep_id = None
                if dep_id is None:
                    self.workers.pop(app_id, None)
                    return
            self.run_worker(app_id, dep_id)

    def run_worker(self, app_id: str, dep_id: str) -> None:
        """Deploy in a child process (see ``deploy.worker``); its output joins the API log.

        If it dies without ending the deployment, the deployment ends ``ERROR`` here.
        """
        worker = argv(DEPLOY_WORKER, app_id, dep_id)
        code = subprocess.run(worker, stdin=subprocess.DEVNULL).returncode
        store = self.services.store
        try:
            dep = store.get_deployment(app_id, dep_id)
        except Exception:  # noqa: BLE001 - the app was deleted meanwhile
            return
        if Phase(dep.phase) in (Phase.ERROR, Phase.CANCELED):
            self.stop_instances(app_id, dep)  # whatever a failure path may have missed
        if Phase(dep.phase) in IN_PROGRESS and not deploy_lock_held(self.services.home, app_id):
            logger.error("deploy worker of %s exited with %s mid-deployment", dep_id, code)
            self.stop_instances(app_id, dep)
            dep = store.update_deployment(dep, error_code="deploy.worker_died",
                                          error_message=f"the deploy worker exited with "
                                                        f"status {code}; deploy again")
            transition(store, dep, Phase.ERROR)

    def recover(self) -> None:
        """Resolve deployments a previous server left mid-flight.

        One whose route swap already happened is finished (it is what serves); any other
        cannot resume safely: its new instances stop and it ends ``ERROR`` with the reason.
        """
        store = self.services.store
        for app in store.list_apps():
            if deploy_lock_held(self.services.home, app.id):
                continue  # a worker of the previous server is finishing its deployment
            self.reap(app.id)
            for dep in store.list_deployments(app.id):
                if Phase(dep.phase) not in IN_PROGRESS - {Phase.PENDING_BUILD}:
                    continue
                if dep.phase == Phase.DEPLOYING and swap.switched_to(
                        self.services, app.id, records_of(dep.components)):
                    old = swap.active_instances(self.services, app.id)
                    dep = transition(store, dep, Phase.ACTIVE)
                    threading.Thread(target=swap.retire, args=(self.services, app, dep, old),
                                     daemon=True).start()
                    continue
                self.stop_instances(app.id, dep)
                dep = store.update_deployment(dep, error_code="deploy.interrupted",
                                              error_message=INTERRUPTED)
                transition(store, dep, Phase.ERROR)

    def reap(self, app_id: str) -> None:
        """Stop what the runtime still runs for deployments that are not live nor in progress
        (a drain cut short by a restart, a failure path that missed an instance)."""
        running = self.services.runtime.running(app_id)
        if not running:
            return
        deps = self.services.store.list_deployments(app_id)
        current = {inst.program for dep in deps if Phase(dep.phase) in IN_PROGRESS | {Phase.ACTIVE}
                   for inst in deployment_instances(app_id, dep)}  # kept ones included
        left = [inst for dep in deps if Phase(dep.phase) not in IN_PROGRESS | {Phase.ACTIVE}
                for inst in deployment_instances(app_id, dep)
                if inst.program in running and inst.program not in current]
        if left:
            logger.warning("stopping %d instance(s) of ended deployments of %s", len(left),
                           app_id)
            self.services.runtime.stop(left)

    def stop_instances(self, app_id: str, dep: Deployment) -> None:
        """A failed deployment's own instances (not those it kept from the live release)."""
        instances = deployment_instances(app_id, dep, kept=False)
        if instances:
            self.services.runtime.stop(instances)


def is_restart(dep: Deployment) -> bool:
    return bool(dep.options.get("restart"))
