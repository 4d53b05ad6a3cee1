"""Deployments: the state machine, and ``Platform``, the one facade the API calls."""

from dockyard.deploy.platform import Platform

__all__ = ["Platform"]
