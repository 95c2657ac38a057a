"""Clocks: every time of day is KST (docs/decisions.md §1). Inject a Clock; never read the host's local time."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Protocol
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Return the current time as an aware datetime in KST."""

    def monotonic(self) -> float:
        """Return seconds on a monotonic scale (for ages and deadlines)."""


class SystemClock:
    """The real clock, in KST."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(KST)

    def monotonic(self) -> float:
        return time.monotonic()


class OffsetClock:
    """The real clock shifted to start at a given KST time (a simulator session outside market hours)."""

    def __init__(self, start: dt.datetime) -> None:
        self._start = start if start.tzinfo else start.replace(tzinfo=KST)
        self._t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._t0)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to; thread-safe, for tests."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=KST)
        if self._now.tzinfo is None:
            self._now = self._now.replace(tzinfo=KST)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, when: dt.datetime) -> None:
        """Jump to a KST time (forward or back; monotonic follows forward jumps only)."""
        with self._lock:
            when = when if when.tzinfo else when.replace(tzinfo=KST)
            delta = (when - self._now).total_seconds()
            self._now = when
            if delta > 0:
                self._mono += delta
