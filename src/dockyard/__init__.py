"""Dockyard: run DigitalOcean App Platform apps on a machine you own."""

__version__ = "0.1.0"
