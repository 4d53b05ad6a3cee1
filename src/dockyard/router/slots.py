"""Slot bookkeeping (pure): which server of each pair is live, and what a switch sends.

Each service instance owns two HAProxy servers, ``s<i>a`` and ``s<i>b``. A switch points the
inactive one at the new port, then — in one runtime-API command line for the whole app — sets
it ``ready`` and the old one ``maint``. ``set server … addr`` alone is not a switch: keep-alive
clients would stay on the old backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from dockyard.errors import DockyardError
from dockyard.router.haproxy_conf import service_backend
from dockyard.router.model import AppRouting, Slot


@dataclass
class SwitchPlan:
    """The two command lines of a switch, and the slots once it is done."""

    addr: list[str]
    states: list[str]
    slots: dict[str, list[Slot]]


def fit_slots(app: AppRouting, current: Mapping[str, list[Slot]]) -> dict[str, list[Slot]]:
    """Slots for the app's services as they are now: kept, grown or cut to ``instances``."""
    out = {}
    for svc in app.services:
        pairs = [replace(s) for s in current.get(svc.component, [])][:svc.instances]
        pairs += [Slot() for _ in range(svc.instances - len(pairs))]
        out[svc.component] = pairs
    return out


def _check_ports(app: AppRouting, component: str, ports: list[int], instances: int) -> None:
    if len(ports) != instances:
        raise DockyardError(f"switch {app.name}/{component}: got {len(ports)} port(s) for "
                            f"{instances} instance(s)", code="router.bad_switch",
                            hint="Pass one port per instance, in instance order.")
    for port in ports:
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise DockyardError(f"switch {app.name}/{component}: port {port!r} is not "
                                "1-65535", code="router.bad_switch")


def plan_switch(app: AppRouting, slots: Mapping[str, list[Slot]],
                targets: Mapping[str, list[int]]) -> SwitchPlan:
    """What to send to point each component's instances at ``targets`` (component → ports).

    An instance already on its target port is left alone; a never-used pair fills slot ``a``.
    """
    instances = {s.component: s.instances for s in app.services}
    new = {comp: [replace(s) for s in pairs] for comp, pairs in fit_slots(app, slots).items()}
    plan = SwitchPlan([], [], new)
    for comp, ports in sorted(targets.items()):
        if comp not in instances:
            raise DockyardError(f"switch {app.name}: {comp!r} is not a service of the app "
                                f"(services: {sorted(instances)})", code="router.bad_switch",
                                hint="Call apply() with the new routing table first.")
        _check_ports(app, comp, list(ports), instances[comp])
        backend = service_backend(app.app_id, comp)
        for i, port in enumerate(ports):
            slot = new[comp][i]
            if slot.active and slot.port(slot.active) == port:
                continue
            to = "b" if slot.active == "a" else "a"
            plan.addr.append(f"set server {backend}/s{i}{to} addr 127.0.0.1 port {port}")
            plan.states.append(f"set server {backend}/s{i}{to} state ready")
            if slot.active:
                plan.states.append(f"set server {backend}/s{i}{slot.active} state maint")
            setattr(slot, to, port)
            slot.active = to
    return plan


def servers_on(slots: Mapping[str, list[Slot]], component: str, ports: list[int]) -> set[str]:
    """Names of the servers of ``component`` whose address is one of ``ports``."""
    names = set()
    for i, slot in enumerate(slots.get(component, [])):
        for which in ("a", "b"):
            if slot.port(which) in ports:
                names.add(f"s{i}{which}")
    return names
