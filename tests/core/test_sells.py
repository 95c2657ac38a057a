"""Exit rules: stop-loss, trailing stop, sell condition, one live sell, amend, liquidation, max loss."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.market import CostRates, net_return_pct
from kiwoom_cli.models import OrderAction, OrderStatus, OrderType, Side
from tests.kit.core import Driver, entry, fill, oe, settings, tick

CODE = "005930"


def held(path, price=10_000, **kw) -> Driver:
    d = Driver(path, settings(**kw))
    d.buy(CODE, price)  # 100 shares at 10,000
    return d


def sells(d: Driver):
    return d.orders(side=Side.SELL)


@pytest.mark.parametrize(
    "price, stop, fires",
    [(9_830, -2.0, False), (9_820, -2.0, True), (9_980, -0.5, False), (9_970, -0.5, True), (9_000, None, False)],
)
def test_stop_loss(path, price, stop, fires):
    d = held(path, stop_loss_pct=stop, trail_arm_pct=None)
    if stop is not None:  # the table straddles the threshold after round-trip costs
        assert (net_return_pct(10_000, price, CostRates()) <= stop) is fires
    d.feed(tick(CODE, price))
    assert len(sells(d)) == int(fires)
    if fires:
        (s,) = sells(d)
        assert (s.qty, s.rule, s.price) == (100, "stop_loss", None)


def test_trailing_arms_then_fires_on_the_drop_from_the_high(path):
    d = held(path, stop_loss_pct=None, trail_arm_pct=2.0, trail_drop_pct=1.0)
    d.feed(tick(CODE, 10_150), tick(CODE, 10_000))  # under the arm level: nothing
    assert not d.state.positions[CODE].armed and sells(d) == []
    d.feed(tick(CODE, 10_300))  # net return ~2.7 %: armed
    pos = d.state.positions[CODE]
    assert (pos.armed, pos.high) == (True, 10_300)
    d.feed(tick(CODE, 10_500), tick(CODE, 10_450))  # new high, then -0.48 %
    assert d.state.positions[CODE].high == 10_500 and sells(d) == []
    d.feed(tick(CODE, 10_390))  # -1.05 % from 10,500
    (s,) = sells(d)
    assert s.rule == "trailing"
    assert [r["action"] for r in d.decisions() if r["rule"] == "trailing"] == ["arm", "sell"]


def test_trailing_does_not_fire_before_arming(path):
    d = held(path, stop_loss_pct=None, trail_arm_pct=5.0, trail_drop_pct=1.0)
    d.feed(tick(CODE, 10_400), tick(CODE, 10_100))  # a 2.9 % drop from a high that never armed
    assert sells(d) == [] and not d.state.positions[CODE].armed


def test_rules_switched_off_never_fire(path):
    d = held(path, stop_loss_pct=None, trail_arm_pct=None, trail_drop_pct=None)
    d.feed(tick(CODE, 20_000), tick(CODE, 5_000))
    assert sells(d) == []


def test_sell_condition_sells_a_tracked_position_only(path):
    d = held(path)
    d.feed(entry("000660", seq="2"))  # not held: nothing
    d.feed(entry(CODE, seq="2"))
    (s,) = sells(d)
    assert (s.rule, s.qty) == ("sell_cond", 100)


def test_limit_sell_is_price_minus_sell_ticks(path):
    d = held(path, sell_order="limit", sell_ticks=2)
    d.feed(tick(CODE, 9_700))
    (s,) = sells(d)
    assert (s.price, s.order_type) == (9_680, OrderType.LIMIT)


def test_at_most_one_live_sell_per_position(path):
    d = held(path)
    d.feed(tick(CODE, 9_700), tick(CODE, 9_600), entry(CODE, seq="2"), ev.SellCode(CODE))
    (s,) = sells(d)
    assert d.decisions()[-1]["reason"] == "a sell is already pending"
    d.feed(ev.OrderAcked(s.intent_id, "S1"))
    d.feed(oe("S1", CODE, Side.SELL, OrderStatus.REJECTED, 100, 100, 0, reason="x"))
    assert d.state.positions[CODE].sellable == 100  # released: a rule may sell again
    d.feed(tick(CODE, 9_500))
    assert len(sells(d)) == 2


def test_partial_sells_then_full_sell_removes_and_unregisters(path):
    d = held(path)
    d.feed(tick(CODE, 9_700))
    (s,) = sells(d)
    d.feed(ev.OrderAcked(s.intent_id, "S1"))
    d.feed(fill("S1", CODE, Side.SELL, 40, 40, 9_700, 100))
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.sellable, pos.sell_intent) == (60, 0, s.intent_id)
    out = d.feed(fill("S1", CODE, Side.SELL, 60, 100, 9_690, 100))
    assert CODE not in d.state.positions
    assert ev.Unregister((CODE,)) in out and CODE not in d.state.registered
    assert d.state.realised < 0
    j = d.journal.orders_for(s.intent_id)
    assert [f["qty"] for f in j["fills"]] == [40, 60] and j["intent"]["status"] == "filled"
    assert d.journal.load(dt.date(2026, 11, 25)).positions == []


@pytest.mark.parametrize("side, price, target", [(Side.BUY, 10_000, 13_000), (Side.SELL, 9_700, 7_000)])
def test_unfilled_limit_orders_are_amended_once(path, side, price, target):
    d = Driver(path, settings(buy_order="limit", sell_order="limit", amend_after_s=10))
    if side is Side.BUY:
        d.feed(entry(CODE), ev.Idle())
        from tests.kit.core import quote, quotes

        d.feed(quotes(quote(CODE, price)))
    else:
        d.buy(CODE, 10_000)
        d.feed(tick(CODE, price, 10_000))
    (order,) = d.orders(side=side)
    d.feed(ev.OrderAcked(order.intent_id, "O1"))
    assert d.kernel.next_deadline(d.clock.now()) == d.clock.now() + dt.timedelta(seconds=10)
    assert d.advance(9.9) == []
    out = d.advance(0.1)
    (amend,) = [o for o in out if isinstance(o, ev.AmendOrder)]
    assert (amend.order_no, amend.price, amend.qty, amend.target_id) == ("O1", target, order.qty, order.intent_id)
    d.feed(ev.OrderAcked(amend.intent_id, "O2"))
    d.feed(oe("O2", CODE, side, OrderStatus.ACCEPTED, order.qty, order.qty, 0, price=target,
              action=OrderAction.AMEND, orig="O1"))
    assert d.advance(60) == [] and d.kernel.next_deadline(d.clock.now()) is None
    d.feed(fill("O2", CODE, side, order.qty, order.qty, target, order.qty))  # fills on the new number
    assert order.intent_id not in d.state.orders
    assert len(d.journal.orders_for(order.intent_id)["children"]) == 1


@pytest.mark.parametrize("cap, target", [(1_100_000, 11_000), (1_000_000, None), (None, 13_000)])
def test_a_buys_amend_stays_within_max_order_value(path, cap, target):
    """A run's buy re-priced to the upper limit is a new order value: 100 x 13,000 above a cap of
    1,100,000 goes at the highest price the cap allows, and not at all when that is no higher."""
    d = Driver(path, settings(buy_order="limit", amend_after_s=10, max_order_value=cap))
    d.feed(entry(CODE), ev.Idle())
    from tests.kit.core import quote, quotes

    d.feed(quotes(quote(CODE, 10_000)))
    (order,) = d.orders(side=Side.BUY)
    d.feed(ev.OrderAcked(order.intent_id, "O1"))
    amends = [o for o in d.advance(10) if isinstance(o, ev.AmendOrder)]
    assert [(a.price, a.qty) for a in amends] == ([(target, order.qty)] if target else [])
    assert all(a.price * a.qty <= (cap or 2 * d.kernel.settings.buy_amount) for a in amends)
    if target is None:
        assert d.kernel.next_deadline(d.clock.now()) is None  # no timer left for an amend that cannot be


def test_market_orders_are_not_amended(path):
    d = Driver(path)
    d.buy(CODE, 10_000, qty_filled=False)
    assert d.kernel.next_deadline(d.clock.now()) is None


def test_window_gates_rule_sells_but_not_manual_ones(path):
    d = held(path, window=(dt.time(9, 0), dt.time(10, 30)))
    d.clock.set(dt.datetime(2026, 11, 25, 11, 0, tzinfo=d.clock.now().tzinfo))
    before = len(d.decisions())
    d.feed(tick(CODE, 9_000), tick(CODE, 8_990))
    assert sells(d) == [] and len(d.decisions()) == before  # no denial journaled on every tick
    d.feed(ev.SellCode(CODE))
    (s,) = sells(d)
    assert (s.origin, s.rule) == ("manual", "manual")


def test_liquidate_at(path):
    d = Driver(path, settings(liquidate_at=dt.time(10, 5), stop_loss_pct=None, trail_arm_pct=None))
    d.buy("000001", 10_000)
    d.buy("000002", 20_000)
    assert d.kernel.next_deadline(d.clock.now()).time() == dt.time(10, 5)
    assert d.advance(299) == []
    out = d.advance(1)
    assert sorted(o.code for o in out if isinstance(o, ev.PlaceOrder)) == ["000001", "000002"]
    assert d.state.flags["liquidated"] and d.kernel.next_deadline(d.clock.now()) is None
    d.feed(entry("000003"))
    assert d.decisions()[-1]["reason"] == "liquidated for the day"


@pytest.mark.parametrize("liquidate", [False, True])
def test_max_daily_loss_halts_buying(path, liquidate):
    d = Driver(path, settings(max_daily_loss=15_000, liquidate_on_max_loss=liquidate,
                              stop_loss_pct=None, trail_arm_pct=None))
    d.buy(CODE, 10_000)  # 100 shares
    d.feed(tick(CODE, 9_900))  # about -12,000 after costs
    assert "max_loss" not in d.state.flags
    d.feed(tick(CODE, 9_850))  # about -17,000
    assert "max_loss" in d.state.flags
    assert len(sells(d)) == int(liquidate)
    d.feed(entry("000660"))
    assert d.decisions()[-1]["reason"] == "max daily loss reached: buying halted"


def test_the_tick_that_reaches_max_daily_loss_still_fires_the_stop_loss(path):
    # one tick both crosses the day's loss (about -17,000) and the stop (about -1.7% after costs):
    # halting buying must not cost the stop its sell (a sell is never blocked by the day's loss)
    d = held(path, max_daily_loss=15_000, liquidate_on_max_loss=False, stop_loss_pct=-1.5,
             trail_arm_pct=None)
    d.feed(tick(CODE, 9_850))
    assert "max_loss" in d.state.flags
    (s,) = sells(d)
    assert (s.qty, s.rule) == (100, "stop_loss")


def test_rule_sell_cancels_the_rest_of_a_partly_filled_buy(path):
    d = Driver(path, settings())
    order = d.buy(CODE, 10_000, qty_filled=False)
    d.feed(fill("B005930", CODE, Side.BUY, 50, 50, 10_000, 100))
    out = d.feed(tick(CODE, 9_700))
    (cancel,) = [o for o in out if isinstance(o, ev.CancelOrder)]
    assert (cancel.target_id, cancel.order_no) == (order.intent_id, "B005930")
    assert [o.qty for o in out if isinstance(o, ev.PlaceOrder)] == [50]


def test_cancel_confirmation_closes_the_buy_and_frees_its_cash(path):
    d = Driver(path, settings())
    order = d.buy(CODE, 10_000, qty_filled=False)
    d.feed(fill("B005930", CODE, Side.BUY, 50, 50, 10_000, 100))
    out = d.feed(tick(CODE, 9_700))
    (cancel,) = [o for o in out if isinstance(o, ev.CancelOrder)]
    assert d.state.reserved() > 0
    d.feed(ev.OrderAcked(cancel.intent_id, "C1"))
    d.feed(oe("C1", CODE, Side.BUY, OrderStatus.ACCEPTED, 50, 50, 0, action=OrderAction.CANCEL, orig="B005930"))
    assert order.intent_id in d.state.orders
    d.feed(oe("C1", CODE, Side.BUY, OrderStatus.CONFIRMED, 50, 0, 0, action=OrderAction.CANCEL, orig="B005930"))
    assert order.intent_id not in d.state.orders and d.state.reserved() == 0
    assert d.journal.orders_for(order.intent_id)["intent"]["status"] == "cancelled"
    assert d.state.positions[CODE].qty == 50  # the half that filled is still being sold


def test_stop_loss_fires_when_the_window_opens(path):
    d = held(path, window=(dt.time(10, 0), dt.time(11, 0)))
    d.clock.set(dt.datetime(2026, 11, 25, 9, 59, 59, tzinfo=d.clock.now().tzinfo))
    d.feed(tick(CODE, 9_000))
    assert sells(d) == []
    d.clock.advance(1)
    d.feed(tick(CODE, 9_000))
    assert [s.rule for s in sells(d)] == ["stop_loss"]


def test_a_held_positions_stop_loss_fires_on_the_quote_that_gives_its_limits(tmp_path):
    """Found by CI (tests/run/test_crash_windows.py, now and then): after a restart the first tick
    of a held stock can come before the quote that gives the day's limits. That tick does not count
    (core/prices.py); the quote then priced the position at -5 %, but nothing sold until another
    tick, and in a still market none came."""
    from tests.kit.core import balance, holding, quote, quotes

    d = Driver(tmp_path / "j.sqlite3", settings(adopt_holdings=True, stop_loss_pct=-2.0, trail_arm_pct=None),
               holdings=balance(holding("005930", 10, 100_000, 100_000)))
    d.feed(tick("005930", 95_000, 100_000))  # before any quote: dropped, a quote asked for
    assert d.orders(side=Side.SELL) == []
    d.feed(quotes(quote("005930", 95_000, 100_000), requested=("005930",)))
    [sell] = d.orders(side=Side.SELL)
    assert (sell.rule, sell.qty) == ("stop_loss", 10)


def test_a_quote_inside_the_stop_sells_nothing(tmp_path):
    from tests.kit.core import balance, holding, quote, quotes

    d = Driver(tmp_path / "j.sqlite3", settings(adopt_holdings=True, stop_loss_pct=-2.0, trail_arm_pct=None),
               holdings=balance(holding("005930", 10, 100_000, 100_000)))
    d.feed(quotes(quote("005930", 99_900, 100_000), requested=("005930",)))
    assert d.orders(side=Side.SELL) == []
