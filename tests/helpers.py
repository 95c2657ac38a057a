"""Test helpers."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

FIXTURES = Path(__file__).parent / "fixtures" / "kiwoom"


def wait_until(predicate: Callable[[], T], timeout: float = 5.0, message: str = "") -> T:
    """Wait until predicate() is truthy and return its value; fail after `timeout` seconds.

    Waits on a condition with short timed waits (an event-less predicate has nothing to block on);
    this bounds a test's wait, it never paces the code under test.
    """
    deadline = time.monotonic() + timeout
    cond = threading.Condition()
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        with cond:
            cond.wait(min(0.01, remaining))


def fixture(path: str) -> dict:
    """Load one of the shared Kiwoom payload fixtures (tests/fixtures/kiwoom/<path>)."""
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))
