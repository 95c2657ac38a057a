"""Start scripted `kiwoom run` sessions on the kit's static simulator (prices move only when told)."""

from __future__ import annotations

import pytest

from tests.kit.cli import mock_env
from tests.kit.run import Run


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
