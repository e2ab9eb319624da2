"""Shared fixtures: the real shipped networks, built once per test session (cached on disk)."""

from __future__ import annotations

import pytest
from hypothesis import settings
from plan_fixture import small_plan

from optimizer.network import load_network

# Property tests draw the same examples on every run (no example database either): a CI run that passes
# passes again, and one that fails fails again with the example printed.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.load_profile("reproducible")


@pytest.fixture(scope="session")
def truck_network():
    return load_network(profile="truck")


@pytest.fixture(scope="session")
def motorbike_network():
    return load_network(profile="motorbike")


@pytest.fixture(scope="module")
def plan():
    """The small real plan of ``tests/plan_fixture.py`` (renderers, sheets, exports); a test module with a plan of
    its own (``test_plan``) overrides it."""
    return small_plan()
