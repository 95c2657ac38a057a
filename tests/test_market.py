"""KRX rules, table-driven: tick sizes, daily limits, sessions and costs."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwoom_cli import market


@pytest.mark.parametrize(
    "price,tick",
    [(1, 1), (1_999, 1), (2_000, 5), (4_995, 5), (5_000, 10), (19_990, 10), (20_000, 50),
     (49_950, 50), (50_000, 100), (199_900, 100), (200_000, 500), (499_500, 500),
     (500_000, 1_000), (1_500_000, 1_000)],
)
def test_tick_table(price, tick):
    assert market.tick_size(price) == tick


@pytest.mark.parametrize(
    "base,upper,lower",
    [  # evidence table (official examples and measured limits) + the worked band-crossing case
        (135_300, 175_800, 94_800),
        (239_500, 311_000, 168_000),
        (276_500, 359_000, 194_000),
        (260_000, 338_000, 182_000),
        (121_700, 158_200, 85_200),
        (72_000, 93_600, 50_400),
        (199_900, 259_500, 140_000),
    ],
)
def test_price_limits_match_observed(base, upper, lower):
    limits = market.price_limits(base)
    assert (limits.upper, limits.lower) == (upper, lower)


@given(st.integers(min_value=100, max_value=3_000_000))
def test_limits_are_on_grid_and_within_30pct(raw):
    base = market.round_down_to_tick(raw)
    limits = market.price_limits(base)
    assert market.is_on_tick(limits.upper) and market.is_on_tick(limits.lower)
    assert limits.upper <= base * 1.3 and limits.lower >= base * 0.7 - 1


@pytest.mark.parametrize(
    "price,n,expected",
    [(1_999, 1, 2_000), (2_000, 1, 2_005), (2_000, -1, 1_999), (50_000, -1, 49_950),
     (49_950, 2, 50_100), (70_000, 3, 70_300), (70_000, 0, 70_000), (500_000, -1, 499_500)],
)
def test_add_ticks_crosses_bands(price, n, expected):
    assert market.add_ticks(price, n) == expected


@pytest.mark.parametrize(
    "price,down,up", [(70_050, 70_000, 70_100), (2_003, 2_000, 2_005), (70_000, 70_000, 70_000)]
)
def test_rounding(price, down, up):
    assert market.round_down_to_tick(price) == down
    assert market.round_up_to_tick(price) == up
    assert market.is_on_tick(down) and market.is_on_tick(up)


def test_nearest_valid_prices_are_clamped():
    limits = market.price_limits(72_000)
    assert market.nearest_valid_prices(70_050, limits) == (70_000, 70_100)
    assert market.nearest_valid_prices(99_999, limits) == (93_600, 93_600)


@pytest.mark.parametrize(
    "t,phase",
    [(dt.time(8, 0), market.Phase.CLOSED_BEFORE), (dt.time(8, 30), market.Phase.OPENING_AUCTION),
     (dt.time(9, 0), market.Phase.CONTINUOUS), (dt.time(15, 19, 59), market.Phase.CONTINUOUS),
     (dt.time(15, 20), market.Phase.CLOSING_AUCTION), (dt.time(15, 30), market.Phase.CLOSED_AFTER)],
)
def test_session_phases(t, phase):
    assert market.KRX_HOURS.phase(t) is phase


@pytest.mark.parametrize(
    "day,tax", [(dt.date(2024, 6, 1), 0.0018), (dt.date(2025, 3, 1), 0.0015),
                (dt.date(2026, 11, 25), 0.0020), (dt.date(2031, 1, 2), 0.0020)],
)
def test_dated_sell_tax(day, tax):
    assert market.CostRates.for_date(day).sell_tax == tax


def test_cost_arithmetic_matches_official_examples():
    # kt00018 official example (2024 rates): commission floored to 10 won, tax floored to 1 won.
    rates = market.CostRates(commission=0.00015, sell_tax=0.0018)
    assert rates.commission_on(373_500) == 50
    assert rates.commission_on(1_673_430) == 250
    assert rates.commission_on(177_000) == 20
    assert rates.tax_on(177_000) == 318
    assert rates.tax_on(680_000) == 1_224


def test_net_return_includes_round_trip_costs():
    rates = market.CostRates(commission=0.00015, sell_tax=0.0020)
    assert market.net_return_pct(10_000, 10_000, rates) == pytest.approx(-0.23, abs=0.001)
    assert market.net_return_pct(10_000, 10_300, rates) == pytest.approx(2.76, abs=0.01)
