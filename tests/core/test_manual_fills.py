"""A run's start journals the fills of manual orders (core/manualfills.py) before it loads the
journal: the day's realised P&L counts them, once, and a manual buy makes no managed position."""

from __future__ import annotations

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.daypnl import position_pnl
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.order_states import OrderState
from kiwoom_cli.core.records import Position
from kiwoom_cli.market import CostRates
from kiwoom_cli.models import FillRow, OrderType, Side
from tests.kit.core import T0, Driver, balance, fill, holding, open_order, settings

CODE = "005930"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite3"


def manual(path, intent_id: str, side: Side, qty: int, order_no: str, *, closed: OrderState | None = None,
           position: Position | None = None) -> None:
    """What `kiwoom order` journals: the intent, its answer, and (followed) how it ended."""
    journal = Journal(path)
    try:
        journal.record_intent(ev.PlaceOrder(intent_id, side, CODE, qty, None, OrderType.MARKET, "manual", "manual"), T0)
        journal.record_outcome(ev.OrderAcked(intent_id, order_no), T0)
        if closed is not None:
            journal.close_order(intent_id, closed, "", T0)
        if position is not None:
            journal.save_position(position, "test", T0)
    finally:
        journal.close()


def row(order_no: str, side: Side, qty: int, filled: int, price: int) -> FillRow:
    return FillRow(order_no, CODE, "n", side, qty, 0, filled, price, qty - filled, "체결", "095000")


def fills(d: Driver) -> list[tuple]:
    return [(f["side"], f["qty"], f["realised"]) for f in d.journal.orders_for("m-1")["fills"]]


def test_a_manual_sell_of_a_managed_position_counts_at_start_at_its_average(path):
    """Followed and closed as filled by its command, its fill was never journaled."""
    manual(path, "m-1", Side.SELL, 4, "S1", closed=OrderState.FILLED, position=Position(CODE, "", 10, 10, 10_000.0))
    d = Driver(path, settings(), holdings=balance(holding(CODE, 6, 10_000)), fills=[row("S1", Side.SELL, 4, 4, 9_000)])
    loss = position_pnl(4, 10_000.0, 9_000, CostRates())
    assert fills(d) == [("sell", 4, loss)]
    assert d.state.realised == d.journal.load(T0.date()).realised == loss
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.managed) == (6, True)
    assert d.journal.intents()[0]["status"] == "filled"
    d.close()
    again = Driver(path, settings(), holdings=balance(holding(CODE, 6, 10_000)), fills=[row("S1", Side.SELL, 4, 4, 9_000)])
    assert fills(again) == [("sell", 4, loss)] and again.state.realised == loss  # once
    again.close()


def test_a_manual_buy_still_open_is_journaled_once_and_not_managed(path):
    manual(path, "m-1", Side.BUY, 100, "B1")
    start = dict(holdings=balance(holding(CODE, 40, 10_000)), fills=[row("B1", Side.BUY, 100, 40, 10_000)],
                 open_orders=[open_order("B1", CODE, Side.BUY, 100, 0, remaining=60)])
    d = Driver(path, settings(), **start)
    assert fills(d) == [("buy", 40, 0.0)]
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.managed) == (40, False)  # shown, not managed: adopt_holdings is off
    order = d.state.orders["m-1"]  # re-attached, with what the journal now holds
    assert (order.filled, order.remaining, order.filled_by_no) == (40, 60, {"B1": 40})
    assert d.journal.load(T0.date()).positions == []
    d.close()
    again = Driver(path, settings(), **start)
    assert fills(again) == [("buy", 40, 0.0)]
    assert again.state.positions[CODE].managed is False
    again.close()


def test_a_manual_buy_open_at_the_broker_stays_open_and_its_fill_is_not_managed(path):
    """Its number was in order_no only, so a run's start closed it as gone; its fill, once the run
    takes it, is journaled and shown, not managed."""
    manual(path, "m-1", Side.BUY, 10, "B1")
    d = Driver(path, settings(), open_orders=[open_order("B1", CODE, Side.BUY, 10, 0, remaining=10)])
    assert d.state.orders["m-1"].state is OrderState.ACKED
    d.feed(fill("B1", CODE, Side.BUY, 10, 10, 10_000, 10))
    pos = d.state.positions[CODE]
    assert (pos.qty, pos.managed) == (10, False)
    assert fills(d) == [("buy", 10, 0.0)]
    assert d.journal.load(T0.date()).positions == []
    d.close()
