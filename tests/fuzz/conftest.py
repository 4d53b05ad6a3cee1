"""Hypothesis settings for the fuzz suite, and how many examples each target gets.

The ``ci`` profile (the default) has no deadline (a shared 2-core machine makes timings
noisy) and runs ``EXAMPLES`` (at least 2,000 in total, checked by a test); set
``DOCKYARD_FUZZ_SCALE=5`` for a longer hunt, ``HYPOTHESIS_PROFILE=dev`` to shrink a failing
example and keep found examples in ``.hypothesis/`` between runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from dockyard.router.files import Layout

settings.register_profile(
    "ci", deadline=None, database=None, print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: CI time stays bounded
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example, HealthCheck.filter_too_much])
settings.register_profile("dev", parent=settings.get_profile("ci"), phases=list(Phase),
                          database=settings.default.database)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SCALE = float(os.environ.get("DOCKYARD_FUZZ_SCALE", "1"))
EXAMPLES = {
    "library": 800,        # parse_spec_data and load_spec: the validator itself
    "text": 250,           # YAML/JSON text: aliases, nesting, bytes
    "cli": 10,             # dockyard apps spec validate -
    "propose": 60,         # POST /v2/apps/propose on a running Dockyard (a child process each)
    "create": 20,          # POST /v2/apps (then DELETE)
    "bodies": 400,         # every other JSON body the API takes
    "webhook": 500,        # POST /v2/webhooks/github
}


def examples(target: str) -> int:
    return max(1, int(EXAMPLES[target] * SCALE))


@pytest.fixture(scope="session")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    lay = Layout(Path(tmp_path_factory.mktemp("fuzz")) / "router")
    lay.prepare()
    yield lay
