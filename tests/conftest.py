"""Shared fixtures: the real shipped networks, built once per test session (cached on disk)."""

from __future__ import annotations

import pytest

from optimizer.network import load_network


@pytest.fixture(scope="session")
def truck_network():
    return load_network(profile="truck")


@pytest.fixture(scope="session")
def motorbike_network():
    return load_network(profile="motorbike")
