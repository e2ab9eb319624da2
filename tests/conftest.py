"""Shared fixtures: the real shipped networks, built once per test session (cached on disk)."""

from __future__ import annotations

import pytest
from plan_fixture import small_plan

from optimizer.network import load_network


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
