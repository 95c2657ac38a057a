"""Prices are checked before they count (issue 12 item 1): the kernel on a journal and a ManualClock."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import risk
from kiwoom_cli.market import price_limits
from kiwoom_cli.models import BalanceEvent, FillRow, Side, Tick
from tests.kit.core import Driver, balance, entry, fill, holding, quote, quotes, settings, tick

CODE = "005930"
BASE = 100_000
LIMITS = price_limits(BASE)  # 70,000 to 130,000


def drops(d: Driver) -> list[dict]:
    return [r for r in d.decisions() if r["rule"] == "price"]


def limits(d: Driver, code: str = CODE, price: int = BASE) -> None:
    """The day's limits for `code`, from a quote nobody waited for (as at start-up)."""
    d.feed(quotes(quote(code, price, base=BASE), requested=()))


@pytest.mark.parametrize("bad", [1, 0, LIMITS.lower - 1, LIMITS.upper + 1, 10**30])
def test_a_bad_tick_then_an_entry_buys_at_a_valid_price(path, bad):
    d = Driver(path)
    limits(d)
    d.feed(Tick(CODE, bad, bad - BASE, 0.0, 1, 100, "100000"))
    out = d.feed(entry(CODE))  # the quote is fresh: it prices the entry, the bad tick does not
    (order,) = [o for o in out if isinstance(o, ev.PlaceOrder)]
    assert order.ref_price == BASE and order.qty == 1_000_000 // BASE
    assert order.qty <= d.settings.buy_amount // LIMITS.lower
    (drop,) = drops(d)
    assert drop["code"] == CODE and drop["action"] == "drop"
    assert d.state.price_drops == {CODE: 1}


def test_a_tick_before_any_quote_counts_for_nothing_and_asks_for_the_limits(path):
    d = Driver(path)
    out = d.feed(tick(CODE, 1, base=1))  # a 1-won tick that even claims 1 won as its base
    assert out == [ev.NeedQuotes((CODE,))]
    assert CODE not in d.state.marks
    assert d.feed(tick(CODE, 1, base=1)) == []  # asked already (one request in flight)
    d.feed(entry(CODE))  # no valid price: the entry waits for a quote
    assert d.orders() == [] and CODE in d.state.awaiting


def test_a_one_won_tick_on_a_held_stock_fires_no_stop_loss_and_arms_nothing(path):
    d = Driver(path, settings(stop_loss_pct=-2.0, trail_arm_pct=2.0))
    d.buy(CODE, BASE)
    for _ in range(3):
        assert d.feed(tick(CODE, 1, base=BASE)) == []  # -99.99 %: dropped, not sold
    d.feed(tick(CODE, LIMITS.upper + 5, base=BASE))  # +30.005 %: dropped, not armed
    pos = d.state.positions[CODE]
    assert d.orders(side=Side.SELL) == [] and not pos.armed and pos.price == BASE
    assert len(drops(d)) == 1 and d.state.price_drops[CODE] == 4  # logged once, counted every time
    d.feed(tick(CODE, 97_000, base=BASE))  # a real -3 %: the stop-loss still works
    assert len(d.orders(side=Side.SELL)) == 1


def test_yesterdays_limits_do_not_count_today(path):
    d = Driver(path)
    d.buy(CODE, BASE)
    d.clock.advance(24 * 3600)
    out = d.feed(tick(CODE, 90_000, base=BASE))  # -10 % on the next day: no limits for today yet
    assert d.orders(side=Side.SELL) == [] and out == [ev.NeedQuotes((CODE,))]
    d.feed(quotes(quote(CODE, BASE), requested=(CODE,)), tick(CODE, 90_000, base=BASE))
    assert len(d.orders(side=Side.SELL)) == 1


@pytest.mark.parametrize("field, value", [("upper_limit", 0), ("lower_limit", -5), ("lower_limit", 200_000),
                                          ("upper_limit", 10**20), ("price", 1), ("price", 0)])
def test_a_quote_with_bad_limits_or_price_prices_nothing(path, field, value):
    import dataclasses

    d = Driver(path)
    d.feed(entry(CODE), ev.Idle())
    bad = dataclasses.replace(quote(CODE, BASE), **{field: value})
    out = d.feed(quotes(bad))
    assert [o for o in out if isinstance(o, ev.PlaceOrder)] == []
    assert [r["action"] for r in d.decisions() if r["rule"] == "buy_cond"] == ["skip"]
    assert len(drops(d)) == 1


def test_a_start_up_holding_gets_a_quote_before_its_prices_count(path):
    d = Driver(path, settings(adopt_holdings=True), holdings=balance(holding(CODE, 10, BASE)))
    assert ev.NeedQuotes((CODE,)) in d.sent
    d.feed(tick(CODE, 1, base=BASE))
    assert d.orders(side=Side.SELL) == []
    d.feed(quotes(quote(CODE, BASE), requested=(CODE,)), tick(CODE, 1, base=BASE), tick(CODE, 97_000, base=BASE))
    assert len(d.orders(side=Side.SELL)) == 1  # the 1-won tick was dropped, the -3 % one sold


def test_a_fill_at_an_implausible_price_is_applied_flagged_and_corrected_from_the_broker(path):
    d = Driver(path)
    order = d.buy(CODE, BASE, qty_filled=False)
    out = d.feed(fill(f"B{CODE}", CODE, Side.BUY, order.qty, order.qty, 1, order.qty))  # filled "at 1 won"
    pos = d.state.positions[CODE]
    assert pos.qty == order.qty and pos.avg_price == BASE  # the shares count, the price does not
    assert any(isinstance(o, ev.QueryOrders) for o in out)
    (flag,) = [r for r in d.decisions() if r["rule"] == "fill"]
    assert flag["action"] == "flag" and flag["code"] == CODE and "1" in flag["reason"]
    rows = [tuple(r) for r in d.journal._db.execute("SELECT qty, price FROM fills")]
    assert rows == [(order.qty, BASE)]  # journaled at the price it was applied at
    row = FillRow(f"B{CODE}", CODE, "", Side.BUY, order.qty, 0, order.qty, 100_500, 0, "체결", "100000")
    d.feed(ev.OrdersQueried((), (row,)))
    assert d.state.positions[CODE].avg_price == 100_500  # the broker's record of the fill
    assert d.state.suspect == {}
    assert [p.avg_price for p in d.journal.load(dt.date(2026, 11, 25)).positions] == [100_500]


def test_a_plausible_fill_is_not_flagged(path):
    d = Driver(path)
    d.buy(CODE, BASE)
    assert [r for r in d.decisions() if r["rule"] == "fill"] == [] and d.state.suspect == {}


def test_the_run_caps_an_order_at_twice_buy_amount_when_max_order_value_is_off(path):
    d = Driver(path)
    limits(d)
    s, now = d.settings, d.clock.now()
    qty = 2 * s.buy_amount // BASE
    assert risk.check_buy(d.state, s, CODE, qty, None, BASE, 0, now) is None
    denial = risk.check_buy(d.state, s, CODE, qty + 1, None, BASE, 0, now)
    assert denial is not None and "twice buy_amount" in denial.reason
    capped = settings(max_order_value=5 * s.buy_amount)
    assert risk.check_buy(d.state, capped, CODE, qty + 1, None, BASE, 0, now) is None


def test_a_balance_line_with_absurd_prices_moves_neither_the_price_nor_the_average(path):
    d = Driver(path)
    order = d.buy(CODE, BASE)
    d.feed(BalanceEvent(CODE, "", order.qty, order.qty, 10**12, 1))  # avg 10^12, price 1 won
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.avg_price, pos.price) == (order.qty, BASE, BASE)
    d.feed(tick(CODE, 99_900, base=BASE))  # -0.1 %: no stop-loss from a poisoned average
    assert d.orders(side=Side.SELL) == []
    d.feed(BalanceEvent(CODE, "", order.qty, order.qty, 100_200, 99_800))  # plausible: the broker's truth
    assert (d.state.positions[CODE].avg_price, d.state.positions[CODE].price) == (100_200, 99_800)
