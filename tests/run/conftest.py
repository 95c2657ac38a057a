"""A static simulator (prices move only when told), limits off, for the scripted `kiwoom run` sessions."""

from __future__ import annotations

import pytest

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.run.runkit import Run, mock_env


@pytest.fixture
def sim():
    with SimServer(SimConfig(rate_limit=None, static=True, seed=7)) as server:
        yield server


@pytest.fixture
def start_run(sim):
    """Start `kiwoom run --headless` in mock mode against the test's simulator; kill leftovers at the end."""
    runs: list[Run] = []

    def start(*args: str, env: dict | None = None, headless: bool = True) -> Run:
        flags = ("--headless",) if headless else ()  # without it: headless because stdout is a pipe
        run = Run(*flags, *args, env={**mock_env(sim), **(env or {})})
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()
