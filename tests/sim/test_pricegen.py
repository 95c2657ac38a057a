"""The random walk: tick grid, daily limits, determinism, instrument table."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiwoom_cli import market
from kiwoom_cli.sim.domain import TradePrint
from kiwoom_cli.sim.instruments import INSTRUMENTS
from kiwoom_cli.sim.pricegen import PriceGen
from kiwoom_cli.sim.quotes import StockState
from tests.sim.conftest import make_exchange, trace


def test_table_has_thirty_stocks_across_markets_and_tick_bands():
    assert len(INSTRUMENTS) >= 30
    assert {s.market for s in INSTRUMENTS} == {"KOSPI", "KOSDAQ"}
    ticks = {market.tick_size(s.base_price) for s in INSTRUMENTS}
    assert ticks == {1, 5, 10, 50, 100, 500, 1_000}
    names = {s.code: s.name for s in INSTRUMENTS}
    assert names["005930"] == "삼성전자" and names["000660"] == "SK하이닉스"


@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(0, len(INSTRUMENTS) - 1),
    offset_ticks=st.integers(-400, 400),
    move=st.floats(-0.6, 0.6, allow_nan=False),
)
def test_move_price_stays_on_grid_inside_limits(index, offset_ticks, move):
    stock = StockState.fresh(INSTRUMENTS[index])
    stock.price = stock.limits.clamp(market.add_ticks(stock.base_price, offset_ticks))
    price = PriceGen.move_price(stock, move)
    assert market.is_on_tick(price)
    assert stock.limits.lower <= price <= stock.limits.upper


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_walk_respects_grid_and_limits_over_many_steps(seed):
    ex, events, clock = make_exchange(seed=seed, static=False)
    for _ in range(40):
        clock.advance(0.5)
        ex.step(25)
    prints = events.of(TradePrint)
    assert len(prints) == 1_000
    for p in prints:
        inst = p.instrument
        assert market.is_on_tick(p.price) and inst.lower_limit <= p.price <= inst.upper_limit
        assert p.qty != 0
        assert inst.low <= p.price <= inst.high


def test_trade_sign_follows_price_direction():
    ex, events, clock = make_exchange(seed=3, static=False)
    last = {i.code: i.price for i in ex.instruments()}
    for _ in range(500):
        clock.advance(0.05)
        ex.step()
    for p in events.of(TradePrint):
        if p.price > last[p.code]:
            assert p.qty > 0
        elif p.price < last[p.code]:
            assert p.qty < 0
        last[p.code] = p.price


def test_walk_survives_a_stock_pinned_at_its_limits():
    ex, _, clock = make_exchange(seed=5, static=False)
    inst = ex.instrument("002630")
    ex.set_price("002630", inst.upper_limit)
    for _ in range(200):
        clock.advance(0.05)
        ex.step(5)
    after = ex.instrument("002630")
    assert after.lower_limit <= after.price <= after.upper_limit


def _run(seed, steps=600):
    ex, events, clock = make_exchange(seed=seed, static=False)
    for _ in range(steps):
        clock.advance(0.05)
        ex.step()
    return trace(events)


def test_same_seed_same_events_different_seed_different():
    assert _run(11) == _run(11)
    assert _run(11) != _run(12)


def test_static_market_does_not_move():
    ex, events, _clock = make_exchange(seed=1, static=True)
    ex.step(100)
    assert events == []


def test_closed_market_does_not_trade():
    import datetime as dt

    from kiwoom_cli.clock import KST, ManualClock

    clock = ManualClock(dt.datetime(2026, 11, 25, 20, 0, tzinfo=KST))
    ex, events, _ = make_exchange(clock, static=False, always_open=False)
    ex.step(50)
    assert events == []
