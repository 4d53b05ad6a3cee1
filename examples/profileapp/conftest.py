"""Run ProfileApp's Django tests under plain pytest (no pytest-django needed).

    cd /work/main && .venv/bin/pytest examples/profileapp

The tests are ordinary ``django.test.TestCase`` classes, which pytest collects
as unittest cases; ``manage.py test`` runs the same files.  This conftest does
what Django's test runner would do around them:

* at import time: put this folder on sys.path and call ``django.setup()`` with
  ``config.settings`` (forcing the SQLite default even if DATABASE_URL is set);
* once per session (only when a test from this folder runs): set up the test
  environment and create the test database (in-memory SQLite), then tear both
  down at the end.

DJANGO_SETTINGS_MODULE is removed again from os.environ after setup, so it does
not leak into subprocesses started by other tests in the same pytest session.
"""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _setup_django():
    import django

    saved = {key: os.environ.get(key) for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.pop("DATABASE_URL", None)
    try:
        django.setup()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_setup_django()


@pytest.fixture(scope="session", autouse=True)
def django_test_database():
    """Django's test-runner setup: test environment + test databases."""
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()
