"""Deployments: the state machine, its stages, and ``platform.Platform``, the one facade the
API calls (imported from ``dockyard.deploy.platform``)."""
