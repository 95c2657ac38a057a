"""The simulator server tests: the kit's simulator on a ManualClock, spoken to by hand (tests/kit/wire.py)."""

from __future__ import annotations

import pytest

from tests.kit.fixtures import api  # noqa: F401  (fixture)


@pytest.fixture
def sim_clock(clock):
    """These tests move the simulator's time themselves."""
    return clock
