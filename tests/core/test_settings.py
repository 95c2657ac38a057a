"""RunSettings: defaults, off switches, validation, the window."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.errors import ConfigError
from kiwoom_cli.models import OrderType


def test_defaults_follow_decisions_5():
    s = RunSettings()
    assert (s.buy_amount, s.max_positions, s.buy_order, s.sell_order) == (1_000_000, 5, OrderType.MARKET,
                                                                          OrderType.MARKET)
    assert (s.stop_loss_pct, s.trail_arm_pct, s.trail_drop_pct, s.amend_after_s) == (-2.0, 2.0, 1.0, 10.0)
    assert s.window is None and s.liquidate_at is None and s.max_daily_loss is None


def test_false_switches_a_rule_off_and_strings_become_order_types():
    s = RunSettings(stop_loss_pct=False, trail_arm_pct=False, buy_order="limit", max_daily_loss=-300_000)
    assert s.stop_loss_pct is None and not s.trailing_on
    assert s.buy_order is OrderType.LIMIT and s.max_daily_loss == 300_000


@pytest.mark.parametrize("kw", [{"buy_order": "stop"}, {"buy_amount": 0}, {"max_positions": 0},
                                {"stop_loss_pct": 1.0}, {"window": (dt.time(9),)}])
def test_bad_values_are_config_errors(kw):
    with pytest.raises(ConfigError):
        RunSettings(**kw)


@pytest.mark.parametrize(
    "window, at, open_",
    [
        (None, (3, 0), True),
        (((9, 0), (15, 20)), (9, 0), True),
        (((9, 0), (15, 20)), (15, 20), False),
        (((9, 0), (15, 20)), (8, 59), False),
        (((22, 0), (2, 0)), (23, 30), True),  # across midnight
        (((22, 0), (2, 0)), (12, 0), False),
    ],
)
def test_window(window, at, open_):
    w = None if window is None else (dt.time(*window[0]), dt.time(*window[1]))
    now = dt.datetime(2026, 11, 25, *at, tzinfo=KST)
    assert RunSettings(window=w).in_window(now) is open_


@pytest.mark.parametrize(
    "window,now,closes",
    [
        ((dt.time(9), dt.time(15, 20)), dt.datetime(2026, 11, 25, 8, 50), dt.datetime(2026, 11, 25, 15, 20)),
        ((dt.time(9), dt.time(15, 20)), dt.datetime(2026, 11, 25, 16, 0), dt.datetime(2026, 11, 25, 15, 20)),
        # across midnight: open at 23:00 -> closes tomorrow (it ended a headless run at once before)
        ((dt.time(22), dt.time(2)), dt.datetime(2026, 11, 25, 23, 0), dt.datetime(2026, 11, 26, 2, 0)),
        ((dt.time(22), dt.time(2)), dt.datetime(2026, 11, 26, 1, 0), dt.datetime(2026, 11, 26, 2, 0)),
        (None, dt.datetime(2026, 11, 25, 12, 0), None),
    ],
)
def test_window_end(window, now, closes):
    settings = RunSettings(window=window)
    expected = closes.replace(tzinfo=KST) if closes else None
    assert settings.window_end(now.replace(tzinfo=KST)) == expected
