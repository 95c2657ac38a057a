"""The simulator WebSocket tests: the kit's simulator on a ManualClock, websocket-client by hand."""

from __future__ import annotations

import pytest

from tests.kit.fixtures import client, clients, token  # noqa: F401  (fixtures)


@pytest.fixture
def sim_clock(clock):
    """These tests move the simulator's time themselves."""
    return clock
