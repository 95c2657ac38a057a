"""The fact stream (core/facts.py): one ordered tuple of facts per kernel turn, journaled first, then
handed to each sink; the feed reports the same facts the journal holds and cannot hold up its commit."""

from __future__ import annotations

import io
import json
import sqlite3
import threading

from kiwoom_cli.cli.runfeed import Feed
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.facts import OrderEventSeen, PositionSaved, Turn
from kiwoom_cli.core.recent import Recent
from kiwoom_cli.core.records import FillApplied, OrderClosed
from kiwoom_cli.models import ConditionEvent, Side
from tests.kit.core import Driver, entry, fill, quote, quotes, tick


def driver(tmp_path, *sinks) -> Driver:
    """A driver whose kernel hands its turns to `sinks`."""
    d = Driver(tmp_path / "j.sqlite3")
    d.kernel.sinks = tuple(sinks)
    return d


def priced(tmp_path, *sinks) -> Driver:
    """driver(), with 005930's price and limits known."""
    d = driver(tmp_path, *sinks)
    d.feed(quotes(quote("005930", 70_000), requested=()), tick("005930", 70_000))
    return d


def test_a_condition_entry_is_one_turn_condition_decision_intent(tmp_path):
    turns: list[Turn] = []
    d = priced(tmp_path, turns.append)
    try:
        (order, _register) = d.feed(entry("005930"))
        (turn,) = turns
        assert [type(f) for f in turn.facts] == [ConditionEvent, ev.Decision, ev.PlaceOrder]
        assert turn.facts[1].action == "buy" and turn.facts[2] is order
        assert turn.awaiting_numbers  # the order has no number yet
        recent = Recent()
        recent.consume(turn)
        assert [x for _, x in recent.log] == [turn.facts[1]]  # the dashboard's log reads the turn's decisions
        # the intent and its request were committed when the turn's intents were returned
        (row,) = d.journal.orders_for(order.intent_id)["requests"]
        assert (row["kind"], row["outcome"]) == ("place", "sent")
    finally:
        d.close()


def test_a_turns_intents_are_dispatched_after_its_commit_and_before_any_sink(tmp_path):
    calls: list = []
    d = priced(tmp_path, lambda turn: calls.append(("sink", [type(f) for f in turn.facts])))

    def dispatch(intents) -> None:  # the Engine's _dispatch: what another connection sees by then
        with sqlite3.connect(tmp_path / "j.sqlite3") as db:
            committed = db.execute("SELECT count(*) FROM intents").fetchone()[0]
        calls.append(("dispatch", [type(i) for i in intents], committed))

    d.kernel.dispatch = dispatch
    try:
        (order, _register) = d.feed(entry("005930"))
        assert calls == [("dispatch", [ev.PlaceOrder, ev.Register], 1),
                         ("sink", [ConditionEvent, ev.Decision, ev.PlaceOrder])]
        calls.clear()
        d.feed(entry("000660"))  # no price: the entry waits for a quote (a fact), then Idle asks for it
        assert calls == [("sink", [ConditionEvent, ev.AwaitQuote])]
        calls.clear()
        d.feed(ev.Idle())  # a turn with an intent and no fact: dispatched, nothing journaled or reported
        assert calls == [("dispatch", [ev.NeedQuotes], 1)]
    finally:
        d.close()


def test_a_fill_is_one_turn_order_event_fill_position_close(tmp_path):
    turns: list[Turn] = []
    d = priced(tmp_path, turns.append)
    try:
        (order, _register) = d.feed(entry("005930"))
        d.feed(ev.OrderAcked(order.intent_id, "B1"))
        turns.clear()
        event = fill("B1", "005930", Side.BUY, order.qty, order.qty, 70_000, order.qty)
        d.feed(event)
        (turn,) = turns
        assert [type(f) for f in turn.facts] == [OrderEventSeen, FillApplied, PositionSaved, OrderClosed]
        seen, filled, position, closed = turn.facts
        assert (seen.event, seen.intent_id) == (event, order.intent_id)
        assert (filled.intent_id, filled.qty, filled.price) == (order.intent_id, order.qty, 70_000)
        assert (position.reason, position.position.qty, position.position.avg_price) == ("buy fill", order.qty, 70_000)
        assert (closed.intent_id, closed.status) == (order.intent_id, "filled")
        d.state.positions["005930"].qty = 0  # the fact is a copy: the live record moving does not move it
        assert position.position.qty == order.qty
    finally:
        d.close()


def test_a_tick_no_rule_acts_on_is_no_turn(tmp_path):
    turns: list[Turn] = []
    d = driver(tmp_path, turns.append)
    try:
        d.buy("005930", 70_000)
        turns.clear()
        changes = d.journal._db.total_changes
        assert d.feed(tick("005930", 70_100), tick("005930", 69_900)) == []
        assert turns == [] and d.journal._db.total_changes == changes
    finally:
        d.close()


def test_the_feed_reports_the_facts_the_journal_holds(tmp_path):
    out = io.StringIO()
    feed = Feed(out)
    d = driver(tmp_path, feed.consume)
    try:
        order = d.buy("005930", 70_000, order_no="B7")
        feed.start()
        assert feed.drain()
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        journaled = d.journal.orders_for(order.intent_id)
        assert [(x["rule"], x["action"], x["reason"]) for x in lines if x["kind"] == "decision"] == [
            (r["rule"], r["action"], r["reason"]) for r in d.decisions()]
        assert [x["intent_id"] for x in lines if x["kind"] == "order"] == [order.intent_id]
        assert [(x["order_no"], x["qty"], x["price"]) for x in lines if x["kind"] == "fill"] == [
            (f["order_no"], f["qty"], f["price"]) for f in journaled["fills"]]
        assert [x["order_no"] for x in lines if x["kind"] == "order_event"] == [
            e["order_no"] for e in journaled["events"]]
        assert [x["status"] for x in lines if x["kind"] == "order_closed"] == ["filled"]
    finally:
        feed.close()
        d.close()


def test_a_sink_that_raises_neither_undoes_the_commit_nor_keeps_the_order_or_the_next_sink(tmp_path):
    later: list[Turn] = []

    def broken(turn: Turn) -> None:
        raise RuntimeError("a broken sink")

    d = priced(tmp_path, broken, later.append)
    try:
        (order, _register) = d.feed(entry("005930"))  # returned: the order still leaves
        assert [f for f in later[0].facts if type(f) is ev.PlaceOrder] == [order]
        assert d.journal.orders_for(order.intent_id)["requests"]  # committed
    finally:
        d.close()


class _StuckOut(io.StringIO):
    """A stdout whose reader stopped reading: write() blocks until `gate` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate, self.stuck = threading.Event(), threading.Event()

    def write(self, s: str) -> int:
        self.stuck.set()
        assert self.gate.wait(30), "the test never opened the gate"
        return super().write(s)


def test_a_feed_whose_reader_stalls_never_holds_up_the_journal(tmp_path):
    out = _StuckOut()
    feed = Feed(out)
    feed.start()
    d = driver(tmp_path, feed.consume)
    feed.emit("start", d.clock.now())
    try:
        assert out.stuck.wait(10)  # the feed's thread is blocked in its first write
        order = d.buy("005930", 70_000, order_no="B9")  # entry, answer and fill: turns keep committing
        with sqlite3.connect(tmp_path / "j.sqlite3") as db:  # committed: another connection sees it
            assert db.execute("SELECT qty FROM fills WHERE intent_id=?", (order.intent_id,)).fetchall() == [
                (order.qty,)]
            assert db.execute("SELECT code FROM positions").fetchall() == [("005930",)]
        out.gate.set()
        assert feed.drain()
        assert "fill" in [json.loads(x)["kind"] for x in out.getvalue().splitlines()]
    finally:
        out.gate.set()
        feed.close()
        d.close()


def test_a_fill_frame_after_the_cancel_names_its_intent_in_the_journal_and_the_feed(tmp_path):
    """A fill that raced a cancel comes on a closed order's number: its 00 frame is the order's,
    in `kiwoom journal` (orders_for) and on the run's JSON line, like every frame before it."""
    from kiwoom_cli.models import OrderAction, OrderStatus
    from tests.kit.core import oe

    out = io.StringIO()
    feed = Feed(out)
    d = driver(tmp_path, feed.consume)
    feed.start()
    try:
        order = d.buy("005930", 10_000, qty_filled=False, order_no="B1")
        d.feed(fill("B1", "005930", Side.BUY, 30, 30, 10_000, order.qty), tick("005930", 10_000))
        d.feed(entry("005930", "2"))  # the sell condition: sell the 30, cancel the rest
        (cancel,) = d.orders(kind=ev.CancelOrder)
        d.feed(ev.OrderAcked(cancel.intent_id, "C1"),
               oe("C1", "005930", Side.BUY, OrderStatus.CONFIRMED, order.qty - 30, 0, 0, action=OrderAction.CANCEL,
                  orig="B1"))
        assert order.intent_id not in d.state.orders  # closed: cancelled
        d.feed(fill("B1", "005930", Side.BUY, 20, 50, 10_000, order.qty))  # filled before the cancel took effect
        events = d.journal.orders_for(order.intent_id)["events"]
        assert [(e["order_no"], e["filled_qty"]) for e in events if e["order_no"] == "B1"][-1] == ("B1", 50)
        assert d.journal.intents("cancelled")[0]["filled"] == 50  # its progress saved after the close too
        assert feed.drain()
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        late = [x for x in lines if x["kind"] == "order_event" and x["order_no"] == "B1"][-1]
        assert (late["filled_qty"], late["intent_id"]) == (50, order.intent_id)
    finally:
        feed.close()
        d.close()
