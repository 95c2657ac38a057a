"""The conformance tests read the simulator's answers on a ManualClock, spoken to by hand."""

from __future__ import annotations

import pytest

from tests.kit.fixtures import api, clients, token  # noqa: F401  (fixtures)


@pytest.fixture
def sim_clock(clock):
    """Nothing moves unless a test moves it."""
    return clock
