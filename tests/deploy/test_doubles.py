"""The test doubles answer every method of the seams they stand in for, with the same
parameters, so a method added to ``Runtime`` or ``Router`` cannot be missed here."""

from __future__ import annotations

import inspect

import pytest

from dockyard.router import Router
from dockyard.runtime import Runtime
from tests.deploy.doubles import RecordingRouter, RecordingRuntime


def methods(protocol: type) -> list[str]:
    return sorted(n for n, v in vars(protocol).items()
                  if callable(v) and not n.startswith("_"))


def properties(protocol: type) -> list[str]:
    return sorted(n for n, v in vars(protocol).items() if isinstance(v, property))


@pytest.mark.parametrize(("protocol", "double"), [(Runtime, RecordingRuntime),
                                                  (Router, RecordingRouter)])
def test_each_double_has_every_method_with_the_same_parameters(protocol: type, double: type):
    assert methods(protocol)  # the protocol is read right
    for name in methods(protocol):
        wanted = list(inspect.signature(getattr(protocol, name)).parameters)
        assert list(inspect.signature(getattr(double, name)).parameters) == wanted, name


@pytest.mark.parametrize(("protocol", "double"), [(Runtime, RecordingRuntime),
                                                  (Router, RecordingRouter)])
def test_each_double_has_every_property(protocol: type, double: type):
    assert [n for n in properties(protocol) if not isinstance(getattr(double, n, None),
                                                              property)] == []
