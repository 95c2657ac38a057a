"""The client tests' simulator: one per module (a test that arms faults or moves prices has its own)."""

from __future__ import annotations

import pytest

from tests.kit.events import Events
from tests.kit.sim import rest_client, running_sim


@pytest.fixture(scope="module")
def sim():
    """A static simulator, rate limits off, shared by the tests of one module (each on its own tokens)."""
    with running_sim() as server:
        yield server


@pytest.fixture
def rest(sim, tmp_path):
    """Our REST client on the test's simulator, its tokens in the test's tmp folder."""
    with rest_client(sim, tmp_path / "tokens") as client:
        yield client


@pytest.fixture
def events() -> Events:
    """The queue a SocketClient reads onto, and what was seen on it."""
    return Events()
