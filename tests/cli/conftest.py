"""Mock mode pointed at the test's simulator through the environment, as a user would (cli tests)."""

from __future__ import annotations

import pytest

from tests.kit import cli as kit_cli


@pytest.fixture
def mock_env(sim, monkeypatch):
    """Point mock mode at the test's simulator with fake keys (environment, as a user would)."""
    env = kit_cli.mock_env(sim)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
