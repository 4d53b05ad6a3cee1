"""The router: HAProxy in front (runtime-API switching, no reloads), nginx for static sites.

``Router`` is the seam the deploy stage talks to; ``HAProxyRouter`` is the implementation
Dockyard ships (see docs/router.md for the files it writes and how a switch works).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from dockyard.router.haproxy_router import HAProxyRouter
from dockyard.router.model import AppRouting, Program, Route, ServiceBackend, StaticSite
from dockyard.router.stats import Counters, RequestLog, ServiceCounters


class Router(Protocol):
    """What a deployment needs from whatever sits in front of the instances."""

    def programs(self) -> list[Program]: ...

    def apply(self, apps: list[AppRouting]) -> None: ...

    def switch(self, app_id: str, targets: dict[str, list[int]]) -> None: ...

    def active(self, app_id: str) -> dict[str, list[int]]: ...

    def sessions(self, app_id: str, component: str, ports: list[int]) -> int: ...

    def publish_site(self, app_id: str, component: str, release_dir: Path) -> None: ...

    def serves_site(self, app_id: str, component: str) -> bool: ...

    def remove(self, app_id: str) -> None: ...

    def counters(self) -> dict[str, dict[str, ServiceCounters]]:
        """Cumulative traffic counters: app id → service → backend and servers."""

    @property
    def request_log_path(self) -> Path:
        """Where the router sends one line per request (``stats.RequestLog`` reads it)."""



ROUTERS: tuple[type, ...] = (HAProxyRouter,)

__all__ = ["ROUTERS", "AppRouting", "Counters", "HAProxyRouter", "Program", "RequestLog",
           "Route", "Router", "ServiceBackend", "ServiceCounters", "StaticSite"]
