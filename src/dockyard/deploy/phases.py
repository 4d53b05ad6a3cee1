"""Deployment phases with DigitalOcean's names and the one function that changes them.

docs/conventions.md §4: an Enum, an explicit table of allowed transitions, and ``transition`` —
the only writer of ``deployments.phase`` — which checks the table, records the change, and logs
the old and new values.
"""

from __future__ import annotations

from enum import StrEnum

from dockyard.errors import DockyardError
from dockyard.logs import Log
from dockyard.store import Deployment, Store


class Phase(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING_BUILD = "PENDING_BUILD"
    BUILDING = "BUILDING"
    PENDING_DEPLOY = "PENDING_DEPLOY"
    DEPLOYING = "DEPLOYING"
    ACTIVE = "ACTIVE"
    SUPERSEDED = "SUPERSEDED"
    ERROR = "ERROR"
    CANCELED = "CANCELED"


IN_PROGRESS = frozenset({Phase.PENDING_BUILD, Phase.BUILDING, Phase.PENDING_DEPLOY,
                         Phase.DEPLOYING})
TERMINAL = frozenset({Phase.ACTIVE, Phase.SUPERSEDED, Phase.ERROR, Phase.CANCELED})

_FAIL = {Phase.ERROR, Phase.CANCELED}
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.PENDING_BUILD: frozenset({Phase.BUILDING, *_FAIL}),
    Phase.BUILDING: frozenset({Phase.PENDING_DEPLOY, *_FAIL}),
    Phase.PENDING_DEPLOY: frozenset({Phase.DEPLOYING, *_FAIL}),
    Phase.DEPLOYING: frozenset({Phase.ACTIVE, *_FAIL}),
    Phase.ACTIVE: frozenset({Phase.SUPERSEDED}),
    Phase.SUPERSEDED: frozenset(),
    Phase.ERROR: frozenset(),
    Phase.CANCELED: frozenset(),
}


class InvalidTransition(DockyardError):
    code = "deploy.invalid_transition"


def transition(store: Store, dep: Deployment, to: Phase, log: Log | None = None) -> Deployment:
    """Move ``dep`` to phase ``to`` if the table allows it, and record it. An app has one
    ACTIVE deployment: the one that served before is SUPERSEDED the moment ``dep`` goes live
    (its instances drain afterwards), so no reader ever sees two."""
    was = Phase(dep.phase)
    if to not in TRANSITIONS[was]:
        raise InvalidTransition(f"deployment {dep.id} cannot go from {was} to {to}")
    dep = store.set_phase(dep, to.value)
    if log:
        log.step(f"Phase {to} (was {was})")
    if to == Phase.ACTIVE:
        for prev in store.list_deployments(dep.app_id, phases=(Phase.ACTIVE.value,)):
            if prev.id != dep.id:
                store.set_phase(prev, Phase.SUPERSEDED.value)
                if log:
                    log.step(f"Deployment {prev.id} is SUPERSEDED")
    return dep
