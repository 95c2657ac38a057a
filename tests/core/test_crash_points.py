"""A crash at each point of an order's life, then a start against the broker's answers (#12 item 2):
the run's own fills become managed positions with the right quantity, nothing is sent twice.

"Before the intent is durable" sends nothing: the kernel hands intents over only once their turn is
committed (test_journal_ahead.py: test_the_kernel_sends_once_the_turn_is_committed); real processes
killed with SIGKILL are in tests/run/test_crash_windows.py and test_journal_ahead.py."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.models import FillRow, Side
from tests.kit.core import Driver, balance, entry, fill, holding, open_order, quote, quotes, settings, tick

CODE = "005930"
DAY = dt.date(2026, 11, 25)


def _row(no, side, order_qty, filled, price=10_000, remaining=0):
    return FillRow(no, CODE, "n", side, order_qty, 0, filled, price, remaining, "체결", "100001")


def _placed(d: Driver):
    d.feed(entry(CODE), ev.Idle(), quotes(quote(CODE, 10_000)))
    (order,) = d.orders(side=Side.BUY)
    return order


def _restart(path, **kw) -> Driver:
    return Driver(path, settings(stop_loss_pct=-2.0), prefix="j", **kw)


def _managed(d: Driver, qty: int) -> None:
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.managed) == (qty, True)
    assert [(p.code, p.qty) for p in d.journal.load(DAY).positions] == [(CODE, qty)]
    assert not [r for r in d.decisions() if "not managed" in r["reason"]]
    d.feed(quotes(quote(CODE, 10_000)), tick(CODE, 9_700))  # the day's limits; -3 %: the stop-loss sells what is held
    (sell,) = d.orders(side=Side.SELL)
    assert sell.qty == qty


def test_durable_not_sent_is_settled_not_placed_and_never_resent(path):
    d = Driver(path)
    order = _placed(d)  # journaled; the crash came before its bytes left
    d.close()
    d2 = _restart(path)
    assert d2.state.orders[order.intent_id].unknown  # it may have left: settled by queries
    d2.feed(entry(CODE))
    assert d2.orders(side=Side.BUY) == []  # the code stays blocked
    d2.advance(3)
    d2.feed(ev.OrdersQueried((), ()))
    d2.advance(10)
    d2.feed(ev.OrdersQueried((), ()))
    assert d2.journal.orders_for(order.intent_id)["intent"]["status"] == "not_placed"


@pytest.mark.parametrize("acked", [False, True], ids=["answer-in-flight", "answered"])
def test_filled_while_down_is_a_managed_position_with_the_bought_quantity(path, acked):
    d = Driver(path)
    order = _placed(d)
    if acked:
        d.feed(ev.OrderAcked(order.intent_id, "0000042"))
    d.close()  # the fill (and, in flight, the answer) never reached the journal
    d2 = _restart(path, holdings=balance(holding(CODE, order.qty, 10_000)),
                  fills=[_row("0000042", Side.BUY, order.qty, order.qty)])
    assert d2.journal.orders_for(order.intent_id)["intent"]["status"] == "filled"
    assert [f["qty"] for f in d2.journal.orders_for(order.intent_id)["fills"]] == [order.qty]
    _managed(d2, order.qty)


def test_resting_while_down_is_reattached_not_resent(path):
    d = Driver(path)
    order = _placed(d)  # its answer never came; the broker has it open, unfilled
    d.close()
    d2 = _restart(path, open_orders=[open_order("0000042", CODE, Side.BUY, order.qty, 0)])
    again = d2.state.orders[order.intent_id]
    assert (again.order_no, again.unknown) == ("0000042", False)
    d2.feed(fill("0000042", CODE, Side.BUY, order.qty, order.qty, 10_000, order.qty))
    _managed(d2, order.qty)
    assert d2.orders(side=Side.BUY) == []


@pytest.mark.parametrize("later, still_open", [(100, False), (70, True)])
def test_partly_filled_then_more_while_down_counts_each_share_once(path, later, still_open):
    d = Driver(path)
    order = _placed(d)
    assert order.qty == 100
    d.feed(ev.OrderAcked(order.intent_id, "0000042"), fill("0000042", CODE, Side.BUY, 40, 40, 10_000, 100))
    assert d.state.positions[CODE].qty == 40
    d.close()
    rest = [open_order("0000042", CODE, Side.BUY, 100, 0, remaining=100 - later)] if still_open else []
    d2 = _restart(path, holdings=balance(holding(CODE, later, 10_000)), open_orders=rest,
                  fills=[_row("0000042", Side.BUY, 100, later, remaining=100 - later)])
    assert d2.state.positions[CODE].qty == later  # not 40 + later
    if still_open:
        d2.feed(fill("0000042", CODE, Side.BUY, 30, 100, 10_000, 100))  # the rest fills after the start
    _managed(d2, 100)


def test_a_sell_filled_while_down_closes_the_position_with_its_pnl(path):
    d = Driver(path, settings(stop_loss_pct=-2.0))
    d.buy(CODE, 10_000)
    d.feed(tick(CODE, 9_700))
    (sell,) = d.orders(side=Side.SELL)  # the stop-loss's answer never came
    d.close()
    d2 = _restart(path, holdings=balance(), fills=[_row("0000077", Side.SELL, sell.qty, sell.qty, price=9_700)])
    assert d2.state.positions == {} and d2.journal.load(DAY).positions == []
    assert d2.state.realised < 0  # the loss counts against max_daily_loss
    assert d2.journal.orders_for(sell.intent_id)["intent"]["status"] == "filled"
