"""Test helpers, for every folder."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kiwoom"
POLL_S = 0.01  # between two looks of wait_until: short against any timeout a test gives


def wait_until(predicate: Callable[[], T], timeout: float = 5.0, message: str = "") -> T:
    """Poll predicate() until it is truthy and return its value; fail after `timeout` seconds.

    For what only polling can observe (the simulator's request and order logs, its subscriptions,
    a child process's lines, a terminal's screen): it looks every POLL_S and bounds the test's wait;
    it never paces the code under test. Where the code signals an event (engine.changed,
    engine.done, a queue), wait on the event instead.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        time.sleep(min(POLL_S, remaining))


def fixture(path: str) -> dict:
    """Load one of the shared Kiwoom payload fixtures (tests/fixtures/kiwoom/<path>)."""
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))
