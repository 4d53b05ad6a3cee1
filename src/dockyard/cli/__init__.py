"""The ``dockyard`` command line: doctl's verbs and flags, talking to the API server."""

from __future__ import annotations


def main() -> None:
    from dockyard.cli.tree import run

    run()
