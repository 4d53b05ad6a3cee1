"""Cancel scheduled job invocations (``cancel_job_invocation``, and an app's deletion).

A PENDING invocation is marked CANCELED and its worker, finding it so, never starts it. A
RUNNING one is marked CANCELED and its worker gets SIGTERM: it stops the job's processes
(SIGKILL after the job's grace period) and records the exit status. A finished invocation
cannot be canceled: that is an error that says so.
"""

from __future__ import annotations

import contextlib
import os
import signal

from dockyard.deploy.services import Services
from dockyard.errors import Conflict
from dockyard.locks import job_lock_held
from dockyard.logs import timestamp
from dockyard.store import App, JobInvocation
from dockyard.store.invocations import OPEN_PHASES


def cancel(services: Services, app: App, inv_id: str) -> JobInvocation:
    store = services.store
    inv = store.get_invocation(app.id, inv_id)
    if inv.done:
        raise Conflict(f"job invocation {inv.id} of '{inv.job_name}' already ended "
                       f"{inv.phase}: there is nothing to cancel",
                       code="job_invocation.not_running")
    ended = store.update_invocation(inv, expect=OPEN_PHASES, phase="CANCELED",
                                    completed_at=timestamp(),
                                    error_message="canceled through the API")
    if ended is None:  # it ended meanwhile
        return store.get_invocation(app.id, inv_id)
    if inv.phase == "RUNNING" and inv.pid and job_lock_held(services.home, inv.id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(inv.pid, signal.SIGTERM)
    return ended


def cancel_all(services: Services, app: App) -> None:
    """Cancel every open invocation of the app (before it is deleted)."""
    for inv in services.store.list_invocations(app.id, phases=OPEN_PHASES):
        with contextlib.suppress(Conflict):
            cancel(services, app, inv.id)
