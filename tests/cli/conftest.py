"""The CLI's in-process fixtures: ``api`` (a ``FakeApi`` in place of the HTTPS client) and
``run_cli`` (the real entry point, with its exit code, stdout and stderr)."""

from tests.cli.fakeapi import api, run_cli  # noqa: F401 - fixtures
