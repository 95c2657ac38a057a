"""Fixtures for the simulated exchange's domain tests: a ManualClock and a recording exchange."""

from __future__ import annotations

from kiwoom_cli.sim.domain import ConditionChange, TradePrint

import datetime as dt

import pytest

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.exchange import Exchange

KEY = "test-app-key"
START = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=KST)


class Recorder(list):
    """Every event the exchange published, in order."""

    def of(self, kind: type) -> list:
        return [e for e in self if isinstance(e, kind)]


def make_exchange(clock: ManualClock | None = None, **config) -> tuple[Exchange, Recorder, ManualClock]:
    """Return a static (by default), seeded exchange with one account, its events and its clock."""
    clock = clock or ManualClock(START)
    config.setdefault("seed", 1)
    config.setdefault("static", True)
    events = Recorder()
    ex = Exchange(SimConfig(**config), clock, events.append)
    if ex.config.fixed_keys is None:
        ex.issue_token(KEY, "secret")
    return ex, events, clock


@pytest.fixture
def sim():
    """(exchange, events, clock) with 100,000,000 won in account KEY; prices move only when set."""
    return make_exchange()


def trace(events):
    """Market events as comparable tuples (trades and condition changes), for determinism checks."""
    return [
        (
            type(e).__name__,
            e.code,
            getattr(e, "price", None),
            getattr(e, "qty", None),
            getattr(e, "event", None),
        )
        for e in events
        if isinstance(e, (TradePrint, ConditionChange))
    ]
