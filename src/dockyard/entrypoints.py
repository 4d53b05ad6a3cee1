"""Every entry point Dockyard runs in a child process, in one table.

Code that starts a child names it from here (``argv(DEPLOY_WORKER, app, dep)``,
``offload.call("spec.check", …)``), never by a module string of its own, so a module that
moves breaks one line here and the test that imports every entry.
"""

from __future__ import annotations

import sys

API_SERVER = "dockyard.api.server"             # the API server, a supervisord program
ROUTER_PRESTART = "dockyard.router.prestart"   # clears a killed master's workers, execs it
CONTROL = "dockyard.control"                   # `recover`: dockyard up after supervisord died
DEPLOY_WORKER = "dockyard.deploy.worker"       # one deployment: APP_ID DEPLOYMENT_ID
JOB_WORKER = "dockyard.deploy.job_worker"      # one scheduled job invocation: APP_ID INV_ID
BUILD_CHILD = "dockyard.buildpacks.child"      # one build, in the app's sandbox
LAUNCHER = "dockyard.runtime.local.launch"     # one instance, job or console: LAUNCH.json
OFFLOAD = "dockyard.offload"                   # one call of OFFLOADED below, JSON in and out
INGRESS = "dockyard.deploy.ingress_program"    # public mode: certificates, a supervisord program
SUPERVISORD = "supervisor.supervisord"

MODULES = (API_SERVER, BUILD_CHILD, CONTROL, DEPLOY_WORKER, INGRESS, JOB_WORKER, LAUNCHER,
           OFFLOAD, ROUTER_PRESTART)

# Functions the API server runs in a short-lived child (``dockyard.offload.call``), by name.
OFFLOADED = {
    "spec.check": "dockyard.deploy.specs:check",
    "spec.replace_envs": "dockyard.appspec.envedit:replace_envs",
    "console.prepare": "dockyard.deploy.offloaded:api_prepare",
    "databases.backup": "dockyard.deploy.offloaded:api_backup",
    "databases.restore": "dockyard.deploy.offloaded:api_restore",
    "databases.clusters": "dockyard.deploy.offloaded:api_clusters",
    "databases.final_backups": "dockyard.deploy.offloaded:api_final_backups",
    "databases.drop": "dockyard.deploy.offloaded:api_drop",
}


def argv(module: str, *args: str) -> list[str]:
    """The command line that runs ``module`` with Dockyard's own interpreter."""
    return [sys.executable, "-m", module, *args]
