"""Buy rules: entries, quantity, limit price, pre-trade checks, bursts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.models import OrderStatus, OrderType, Side
from tests.kit.core import Driver, entry, fill, oe, quote, quotes, settings, tick


@pytest.mark.parametrize(
    "price, buy_amount, qty",
    [(50_000, 1_000_000, 20), (333, 1_000_000, 3003), (70_100, 1_000_000, 14), (999_000, 1_000_000, 1)],
)
def test_entry_buys_buy_amount_over_price(path, price, buy_amount, qty):
    d = Driver(path, settings(buy_amount=buy_amount))
    assert d.feed(entry("005930")) == []  # no price known yet: waits for the batch
    assert d.feed(ev.Idle()) == [ev.NeedQuotes(("005930",))]
    out = d.feed(quotes(quote("005930", price)))
    (order,) = [o for o in out if isinstance(o, ev.PlaceOrder)]
    assert (order.side, order.qty, order.price, order.order_type) == (Side.BUY, qty, None, OrderType.MARKET)
    assert ev.Register(("005930",)) in out
    assert d.journal.orders_for(order.intent_id)["intent"]["status"] == "pending"


def test_quantity_zero_is_skipped_with_a_reason(path):
    d = Driver(path, settings(buy_amount=100_000))
    d.feed(entry("000001"), ev.Idle())
    out = d.feed(quotes(quote("000001", 150_000)))
    assert not [o for o in out if isinstance(o, ev.PlaceOrder)]
    (skip,) = [r for r in d.decisions() if r["action"] == "skip"]
    assert "quantity 0" in skip["reason"] and skip["code"] == "000001"


@pytest.mark.parametrize(
    "price, base, ticks, expected",
    [
        (50_000, 50_000, 0, 50_000),
        (50_000, 50_000, 2, 50_200),
        (1_998, 1_998, 3, 2_005),  # crosses the 2,000 band: 1999, 2000, 2005
        (50_010, 50_000, 0, 50_100),  # off the grid (mock fills): up to the 100-won grid
        (64_900, 50_000, 5, 65_000),  # clamped to the upper limit of base 50,000
        (19_990, 20_000, -1, 19_980),
    ],
)
def test_limit_buy_price_is_on_grid_and_clamped(path, price, base, ticks, expected):
    d = Driver(path, settings(buy_order="limit", buy_ticks=ticks))
    d.feed(entry("005930"), ev.Idle())
    out = d.feed(quotes(quote("005930", price, base)))
    (order,) = [o for o in out if isinstance(o, ev.PlaceOrder)]
    assert (order.price, order.order_type) == (expected, OrderType.LIMIT)


def test_a_fresh_tick_prices_an_entry_without_a_quote(path):
    d = Driver(path, settings(adopt_holdings=True))
    d.feed(quotes(quote("000660", 100_000), requested=()))  # the day's limits (a held code's start quote)
    d.clock.advance(10)
    d.feed(tick("000660", 100_000))  # a live price the engine already has
    out = d.feed(entry("000660"))
    assert [type(o) for o in out] == [ev.PlaceOrder, ev.Register]
    d.clock.advance(10)  # now stale: a quote is needed again
    assert d.feed(entry("000270")) == []


def test_max_positions_counts_pending_buys(path):
    d = Driver(path, settings(max_positions=2))
    d.buy("000001", 10_000)  # open
    d.buy("000002", 10_000, qty_filled=False)  # pending
    out = d.feed(entry("000003"))
    assert out == []
    assert d.decisions()[-1]["reason"].startswith("max positions: 2 open or pending of 2")


def test_duplicate_entries_are_ignored(path):
    d = Driver(path)
    d.feed(entry("005930"), entry("005930"), ev.Idle())
    assert d.orders(ev.NeedQuotes) == [ev.NeedQuotes(("005930",))]
    d.feed(quotes(quote("005930", 50_000)))
    d.feed(entry("005930"))  # pending order
    assert len(d.orders(side=Side.BUY)) == 1
    reasons = [r["reason"] for r in d.decisions() if r["action"] == "deny"]
    assert reasons == ["duplicate: awaiting a quote", "duplicate: order pending"]


@pytest.mark.parametrize("start, end, allowed", [((9, 0), (9, 30), False), ((9, 0), (15, 20), True)])
def test_window_gates_buys(path, start, end, allowed):
    d = Driver(path, settings(window=(dt.time(*start), dt.time(*end))))  # the clock says 10:00
    d.feed(entry("005930"), ev.Idle())
    assert bool(d.orders(ev.NeedQuotes)) is allowed
    if not allowed:
        assert d.decisions()[-1]["reason"] == "window closed"


def test_pause_and_resume(path):
    d = Driver(path)
    d.feed(ev.Pause(), entry("005930"), ev.Idle())
    assert d.orders(ev.NeedQuotes) == [] and d.decisions()[-1]["reason"] == "paused"
    d.feed(ev.Resume(), entry("005930"), ev.Idle())
    assert d.orders(ev.NeedQuotes) == [ev.NeedQuotes(("005930",))]


def test_cash_reservation_denies_the_buy_that_does_not_fit(path):
    # market buys hold qty x upper limit + fee: 20 x 65,000 = 1,300,000 (+200) each
    d = Driver(path, cash=2_000_000)
    d.feed(entry("000001"), entry("000002"), ev.Idle())
    out = d.feed(quotes(quote("000001", 50_000), quote("000002", 50_000)))
    buys = [o for o in out if isinstance(o, ev.PlaceOrder)]
    assert [b.code for b in buys] == ["000001"]
    assert buys[0].reserve == 1_300_200
    assert d.decisions()[-1]["reason"] == "cash: needs 1,300,200 reserved, 699,800 available"
    assert d.state.available_cash() == 699_800


def test_limit_buy_without_amend_reserves_the_limit_price(path):
    d = Driver(path, settings(buy_order="limit", amend_after_s=None), cash=1_000_200)
    d.feed(entry("000001"), ev.Idle())
    (order,) = [o for o in d.feed(quotes(quote("000001", 50_000))) if isinstance(o, ev.PlaceOrder)]
    assert order.reserve == 20 * 50_000 + 150


def test_max_order_value(path):
    d = Driver(path, settings(max_order_value=500_000))
    d.feed(entry("000001"), ev.Idle(), quotes(quote("000001", 50_000)))
    assert d.orders() == []
    assert "above max_order_value" in d.decisions()[-1]["reason"]


def test_registration_limit(path):
    d = Driver(path, settings(reg_limit=1))
    d.buy("000001", 10_000)
    d.feed(entry("000002"))
    assert d.decisions()[-1]["reason"] == "realtime registration limit 1 reached"


def test_burst_of_five_is_one_quote_request_then_five_buys_in_arrival_order(path):
    d = Driver(path)
    codes = ["000005", "000003", "000001", "000004", "000002"]
    for c in codes:
        assert d.feed(entry(c)) == []
    assert d.feed(ev.Idle()) == [ev.NeedQuotes(tuple(codes))]
    assert d.feed(entry("000009"), ev.Idle()) == []  # one request in flight at a time
    shuffled = [quote(c, 10_000) for c in sorted(codes)]  # the reply's order is not ours
    out = d.feed(quotes(*shuffled, requested=codes))
    buys = [o for o in out if isinstance(o, ev.PlaceOrder)]
    assert [b.code for b in buys] == codes
    assert len({b.intent_id for b in buys}) == 5
    assert out[-1] == ev.NeedQuotes(("000009",))  # the late entry goes in the next request
    assert ev.Register(tuple(sorted(codes))) in out


def test_burst_respects_max_positions_within_the_batch(path):
    d = Driver(path, settings(max_positions=3))
    codes = ["000001", "000002", "000003", "000004"]
    d.feed(*(entry(c) for c in codes), ev.Idle())
    out = d.feed(quotes(*(quote(c, 10_000) for c in codes)))
    assert [o.code for o in out if isinstance(o, ev.PlaceOrder)] == codes[:3]


def test_quote_failure_skips_each_entry(path):
    d = Driver(path)
    d.feed(entry("000001"), entry("000002"), ev.Idle(), ev.QuotesFailed(("000001", "000002"), "HTTP 500"))
    assert d.orders() == []
    assert [r["action"] for r in d.decisions()] == ["skip", "skip"]
    d.feed(entry("000001"), ev.Idle())  # no longer blocked
    assert d.orders(ev.NeedQuotes)[-1] == ev.NeedQuotes(("000001",))


def test_partial_buy_fills_update_the_position(path):
    d = Driver(path)
    order = d.buy("005930", 10_000, qty_filled=False)  # 100 shares
    d.feed(fill("B005930", "005930", Side.BUY, 30, 30, 10_000, 100))
    d.feed(fill("B005930", "005930", Side.BUY, 30, 30, 10_000, 100))  # a repeated frame
    pos = d.state.positions["005930"]
    assert (pos.qty, pos.sellable) == (30, 30)
    d.feed(fill("B005930", "005930", Side.BUY, 70, 100, 10_100, 100))
    pos = d.state.positions["005930"]
    assert (pos.qty, pos.avg_price) == (100, pytest.approx(10_070))
    assert order.intent_id not in d.state.orders
    assert d.journal.orders_for(order.intent_id)["intent"]["status"] == "filled"
    assert isinstance(d.sent[-1], ev.RefreshCash)


def test_rejected_buy_releases_the_slot(path):
    d = Driver(path, settings(max_positions=1))
    order = d.buy("000001", 10_000, qty_filled=False)
    d.feed(oe("B000001", "000001", Side.BUY, OrderStatus.REJECTED, order.qty, order.qty, 0, reason="주문가능금액 부족"))
    assert d.state.orders == {} and d.state.reserved() == 0
    d.feed(entry("000002"), ev.Idle())
    assert d.orders(ev.NeedQuotes)[-1] == ev.NeedQuotes(("000002",))


def test_strategy_only_reads_its_view(path):
    d = Driver(path)
    d.feed(entry("005930"), ev.Idle())
    snap = d.state.snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.paused = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.awaiting["x"] = None  # type: ignore[index]
    before = d.state.snapshot()
    d.kernel.strategy.decide(entry("000660"), snap, d.clock.now())
    assert d.state.snapshot() == before


def test_fills_count_from_remaining_whether_or_not_911_is_cumulative(path):
    d = Driver(path)
    d.buy("005930", 10_000, qty_filled=False)  # 100 shares
    # FID 911 carrying this fill only (30, then 70): 900 - 902 still gives the cumulative count
    d.feed(oe("B005930", "005930", Side.BUY, OrderStatus.FILLED, 100, 70, 30, 10_000, 30))
    d.feed(oe("B005930", "005930", Side.BUY, OrderStatus.FILLED, 100, 70, 30, 10_000, 30))  # repeated
    d.feed(oe("B005930", "005930", Side.BUY, OrderStatus.FILLED, 100, 0, 70, 10_000, 70))
    assert d.state.positions["005930"].qty == 100 and d.state.orders == {}
