"""Start-up reconciliation, unknown outcomes, and the journal's durability across restarts."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from kiwoom_cli.core import events as ev
from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.models import FillRow, Side
from tests.kit.core import (
    Driver,
    balance,
    entry,
    fill,
    holding,
    open_order,
    quote,
    quotes,
    settings,
    tick,
)

CODE = "005930"


# ------------------------------------------------------------------ reconcile on start


@pytest.mark.parametrize("adopt", [False, True])
def test_unknown_holdings_are_shown_and_managed_only_with_adopt(path, adopt):
    d = Driver(path, settings(adopt_holdings=adopt), holdings=balance(holding("000660", 10, 100_000)))
    pos = d.state.positions["000660"]
    assert pos.managed is adopt
    assert ev.Register(("000660",)) in d.sent  # shown either way: it gets live prices
    assert ev.NeedQuotes(("000660",)) in d.sent  # ... which count only once a quote gave the day's limits
    d.feed(tick("000660", 90_000))  # before the quote: dropped, nothing sold
    assert d.orders(side=Side.SELL) == []
    d.feed(quotes(quote("000660", 100_000), requested=("000660",)), tick("000660", 90_000))
    # -10 %: only a managed holding is sold by the rules
    assert len(d.orders(side=Side.SELL)) == int(adopt)
    assert [p.code for p in d.journal.load(dt.date(2026, 11, 25)).positions] == (["000660"] if adopt else [])
    d.feed(entry("000660"))  # held either way: never bought again
    assert d.orders(side=Side.BUY) == []


def test_tracked_but_no_longer_held_is_dropped_when_two_answers_agree(path):
    d = Driver(path)
    d.buy(CODE, 10_000)
    d.close()
    asked = []
    d2 = Driver(path, holdings=balance(), prefix="j", recheck=lambda: asked.append(1) or balance())
    assert asked == [1]
    assert d2.state.positions == {}
    assert d2.journal.load(dt.date(2026, 11, 25)).positions == []
    assert "tracked but no longer held: dropped" in [r["reason"] for r in d2.decisions()]


@pytest.mark.parametrize("second", ["held", "malformed", "none"])
def test_one_answer_without_a_tracked_stock_drops_nothing(path, second):
    d = Driver(path)
    d.buy(CODE, 10_000)
    d.close()
    again = {"held": lambda: balance(holding(CODE, 100, 10_000)), "malformed": lambda: None, "none": None}[second]
    d2 = Driver(path, holdings=balance(), prefix="j", recheck=again)
    (kept,) = d2.journal.load(dt.date(2026, 11, 25)).positions
    assert (kept.code, kept.qty) == (CODE, 100)
    if second == "held":  # the second answer holds it: managed as before
        assert d2.state.positions[CODE].managed
    else:
        assert "tracked but not in the balance answer: kept until a second answer agrees" in [
            r["reason"] for r in d2.decisions()]


def test_open_orders_are_reattached(path):
    d = Driver(path)
    order = d.buy(CODE, 10_000, qty_filled=False)  # acked as BCODE, unfilled
    d.close()
    d2 = Driver(path, prefix="j", open_orders=[open_order("B005930", CODE, Side.BUY, order.qty, 0, remaining=60)])
    (again,) = d2.state.orders.values()
    assert (again.intent_id, again.order_no, again.remaining) == (order.intent_id, "B005930", 60)
    d2.feed(fill("B005930", CODE, Side.BUY, 100, 100, 10_000, 100))  # fill events still find their intent
    assert d2.state.positions[CODE].qty == 100
    assert d2.journal.orders_for(order.intent_id)["intent"]["status"] == "filled"


def test_journaled_order_gone_at_the_broker_is_closed(path):
    d = Driver(path)
    order = d.buy(CODE, 10_000, qty_filled=False)
    d.close()
    d2 = Driver(path, prefix="j")
    assert d2.state.orders == {}
    assert d2.journal.orders_for(order.intent_id)["intent"]["status"] == "gone"


def test_broker_orders_nobody_journaled_block_duplicates(path):
    d = Driver(path, open_orders=[open_order("0000777", CODE, Side.BUY, 5, 10_000)])
    d.feed(entry(CODE))
    assert d.decisions()[-1]["reason"] == "duplicate: order pending"
    assert d.state.reserved() == 50_000


# ------------------------------------------------------------------ unknown outcomes


def _unknown(d: Driver):
    d.feed(entry(CODE), ev.Idle(), quotes(quote(CODE, 10_000)))
    (order,) = d.orders(side=Side.BUY)
    d.feed(ev.OrderUnknown(order.intent_id, "read timeout after send"))
    return order


def test_unknown_order_stays_pending_until_a_query_finds_it(path):
    d = Driver(path)
    order = _unknown(d)
    assert d.state.orders[order.intent_id].unknown
    d.feed(entry(CODE))
    assert d.orders(side=Side.BUY) == [order]  # never a second order for the same intent
    assert d.advance(2.9) == []
    assert d.advance(0.1) == [ev.QueryOrders("settle unknown orders")]
    d.feed(ev.OrdersQueried((open_order("0000042", CODE, Side.BUY, order.qty, 0),), ()))
    o = d.state.orders[order.intent_id]
    assert (o.unknown, o.order_no) == (False, "0000042")
    d.feed(fill("0000042", CODE, Side.BUY, 100, 100, 10_000, 100))
    assert d.state.positions[CODE].qty == 100


def test_unknown_order_found_filled_or_not_placed(path):
    d = Driver(path)
    order = _unknown(d)
    d.advance(3)
    row = FillRow("0000050", CODE, "n", Side.BUY, 100, 0, 100, 10_050, 0, "체결", "100003")
    d.feed(ev.OrdersQueried((), (row,)))
    assert order.intent_id not in d.state.orders and d.state.positions[CODE].qty == 100
    d2 = Driver(path.with_name("other.sqlite3"))
    order2 = _unknown(d2)
    d2.advance(3)
    d2.feed(ev.OrdersQueried((), ()))
    # One empty answer is not proof (the request may still be queued at the broker): the order
    # keeps its cash and blocks the code until a second query CONFIRM_S later misses it too.
    assert order2.intent_id in d2.state.orders
    d2.feed(entry(CODE))
    assert d2.orders(side=Side.BUY) == [order2]  # still no second order for the code
    assert d2.advance(9.9) == []
    assert d2.advance(0.1) == [ev.QueryOrders("settle unknown orders")]
    d2.feed(ev.OrdersQueried((), ()))
    assert order2.intent_id not in d2.state.orders
    assert d2.journal.orders_for(order2.intent_id)["intent"]["status"] == "not_placed"


def test_order_event_before_its_ack_is_kept_and_replayed(path):
    d = Driver(path)
    d.feed(entry(CODE), ev.Idle(), quotes(quote(CODE, 10_000)))
    (order,) = d.orders(side=Side.BUY)
    d.feed(fill("0000009", CODE, Side.BUY, 100, 100, 10_000, 100))  # the socket beat the REST answer
    assert CODE not in d.state.positions
    d.feed(ev.OrderAcked(order.intent_id, "0000009"))
    assert d.state.positions[CODE].qty == 100 and d.state.orders == {}


# ------------------------------------------------------------------ durability


def test_journal_file_is_private_wal_and_named_per_mode_and_account(isolated_home):
    p = journal_path("sim", "1234-56")
    j = Journal(p)
    assert p.parent == isolated_home / "journal" and p.name == "sim-1234-56.sqlite3"
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert j._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert j._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    j.close()


def test_everything_written_is_there_for_another_process(path):
    d = Driver(path)
    order = d.buy(CODE, 10_000)
    d.feed(tick(CODE, 9_700))  # stop-loss intent, journaled before it is handed out
    # no close(): another process reads the WAL while this connection is still open
    code = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        "print([db.execute(f'select count(*) from {t}').fetchone()[0] for t in"
        " ('intents', 'order_requests', 'order_events', 'fills', 'position_changes', 'decisions', 'positions')])"
    )
    got = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "[2, 3, 1, 1, 2, 2, 1]"
    rows = sqlite3.connect(path).execute("select intent_id, status from intents order by rowid").fetchall()
    assert rows == [(order.intent_id, "filled"), ("i00002", "pending")]


def test_killed_process_loses_nothing_committed(path, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(
        "import os, sys\n"
        "sys.path.insert(0, os.getcwd())\n"
        "from tests.kit.core import Driver, entry, quote, quotes\n"
        "from kiwoom_cli.core import events as ev\n"
        "d = Driver(__import__('pathlib').Path(sys.argv[1]))\n"
        "d.feed(entry('005930'), ev.Idle(), quotes(quote('005930', 10_000)))\n"
        "os._exit(9)  # no close, no commit hooks: a kill\n"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run = subprocess.run([sys.executable, str(script), str(path)], cwd=root, env=env, capture_output=True,
                         check=False)
    assert run.returncode == 9, run.stderr
    j = Journal(path)
    assert [(i["code"], i["status"]) for i in j.intents()] == [(CODE, "pending")]


def test_restart_restores_armed_trailing_and_pending_order_without_duplicates(path):
    d = Driver(path, settings(trail_arm_pct=2.0, trail_drop_pct=1.0, stop_loss_pct=None))
    d.buy(CODE, 10_000)
    d.feed(tick(CODE, 10_300), tick(CODE, 10_500))  # armed, high 10,500
    d.feed(entry("000660"), ev.Idle(), quotes(quote("000660", 50_000)))  # a pending buy
    (pending,) = [o for o in d.orders(side=Side.BUY) if o.code == "000660"]
    d.feed(ev.OrderAcked(pending.intent_id, "0000100"))
    d.close()

    d2 = Driver(path, settings(trail_arm_pct=2.0, trail_drop_pct=1.0, stop_loss_pct=None), prefix="j",
                holdings=balance(holding(CODE, 100, 10_000, 10_450)),
                open_orders=[open_order("0000100", "000660", Side.BUY, pending.qty, 0)])
    pos = d2.state.positions[CODE]
    assert (pos.managed, pos.armed, pos.high) == (True, True, 10_500)
    assert pending.intent_id in d2.state.orders
    assert set(d2.state.registered) == {CODE, "000660"}
    d2.feed(entry("000660"), ev.Idle())  # the pending order blocks a second one
    assert d2.orders(ev.PlaceOrder) == []
    assert d2.orders(ev.NeedQuotes) == [ev.NeedQuotes(("000660", CODE))]  # the day's limits first
    d2.feed(tick(CODE, 10_390))  # before the limits: dropped, nothing sold
    assert d2.orders(side=Side.SELL) == []
    d2.feed(quotes(quote(CODE, 10_450, base=10_000), quote("000660", 50_000), requested=("000660", CODE)))
    d2.feed(tick(CODE, 10_390))  # trailing resumes from the stored high: -1.05 %
    (sell,) = d2.orders(side=Side.SELL)
    assert sell.rule == "trailing"
    d2.feed(tick(CODE, 10_300))
    assert len(d2.orders(side=Side.SELL)) == 1
    assert [i["intent_id"] for i in d2.journal.intents("pending")] == [sell.intent_id]


def test_restart_with_an_unanswered_intent_keeps_it_unknown(path):
    d = Driver(path)
    d.feed(entry(CODE), ev.Idle(), quotes(quote(CODE, 10_000)))  # journaled; crash before any answer
    d.close()
    d2 = Driver(path, prefix="j")
    (o,) = d2.state.orders.values()
    assert o.unknown and o.code == CODE
    d2.feed(entry(CODE))
    assert d2.orders(ev.PlaceOrder) == []
    assert d2.advance(3) == [ev.QueryOrders("settle unknown orders")]


def test_decision_and_order_queries(path):
    d = Driver(path)
    order = d.buy(CODE, 10_000)
    d.clock.advance(60)
    d.feed(tick(CODE, 9_000))
    t = d.clock.now()
    assert [r["rule"] for r in d.journal.decisions()] == ["buy_cond", "stop_loss"]
    assert [r["rule"] for r in d.journal.decisions(since=t)] == ["stop_loss"]
    assert [r["rule"] for r in d.journal.decisions(until=t)] == ["buy_cond"]
    story = d.journal.orders_for(order.intent_id)
    assert [r["outcome"] for r in story["requests"]] == ["sent", "acked"]
    assert [e["status"] for e in story["events"]] == ["filled"]


def test_failed_settle_query_is_retried_after_a_back_off(path):
    d = Driver(path)
    _unknown(d)
    assert d.advance(3) == [ev.QueryOrders("settle unknown orders")]
    d.feed(ev.QueryFailed("HTTP 500"))
    assert d.advance(4.9) == []
    assert d.advance(0.1) == [ev.QueryOrders("settle unknown orders")]


def test_reconnect_asks_the_broker_about_pending_orders(path):
    from kiwoom_cli.models import SocketStatus

    d = Driver(path)
    d.buy(CODE, 10_000, qty_filled=False)
    out = d.feed(SocketStatus("connected", "reconnected"))
    assert ev.QueryOrders("socket reconnected") in out and any(isinstance(o, ev.RefreshCash) for o in out)
    d.clock.advance(5)  # the order filled while the socket was down
    row = FillRow("B005930", CODE, "n", Side.BUY, 100, 0, 100, 10_000, 0, "체결", "100003")
    d.feed(ev.OrdersQueried((), (row,)))
    assert d.state.orders == {} and d.state.positions[CODE].qty == 100


def test_a_new_day_resets_realised_and_flags(path):
    d = Driver(path, settings(liquidate_at=dt.time(10, 1)))
    d.advance(60)
    assert "liquidated" in d.state.flags
    d.clock.advance(24 * 3600)
    d.feed(ev.Idle())
    assert d.state.flags == {}


def test_order_frames_before_the_rest_answer_are_tied_to_their_intent(tmp_path):
    # The simulator (like the broker, unverified) pushes 00 frames before the REST answer
    # names the order number; those rows must still be found by intent afterwards.
    from kiwoom_cli.models import OrderAction, OrderEvent, OrderStatus

    journal = Journal(tmp_path / "j.sqlite3")
    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    early = OrderEvent(order_no="0000007", orig_order_no=None, code="005930", name="삼성전자", side=Side.BUY,
                       status=OrderStatus.ACCEPTED, action=OrderAction.NEW, order_qty=3, order_price=0,
                       remaining_qty=3, filled_qty=0, fill_price=None, fill_qty=None, time="100000")
    journal.record_order_event(early, None, now)
    journal.record_outcome(ev.OrderAcked(intent_id="r-1", order_no="0000007"), now)
    events = journal.orders_for("r-1")["events"]
    assert [(e["order_no"], e["status"]) for e in events] == [("0000007", "accepted")]


def test_acked_order_missing_from_one_query_is_not_written_off(path):
    # A query right after an order can miss it (the broker's lists lag); closing it as "gone" would
    # free its cash and unblock the code. It takes two misses CONFIRM_S apart.
    d = Driver(path)
    order = d.buy(CODE, 10_000, qty_filled=False)
    d.advance(3)
    d.feed(ev.OrdersQueried((), ()))
    assert order.intent_id in d.state.orders
    assert d.advance(10) == [ev.QueryOrders("settle unknown orders")]
    d.feed(ev.OrdersQueried((open_order(d.state.orders[order.intent_id].order_no, CODE, Side.BUY,
                                        order.qty, 0),), ()))
    assert d.state.orders[order.intent_id].missing_since is None  # seen again: the clock resets
    d.advance(3)
    d.feed(ev.OrdersQueried((), ()))
    d.advance(10)
    d.feed(ev.OrdersQueried((), ()))
    assert order.intent_id not in d.state.orders
    assert d.journal.orders_for(order.intent_id)["intent"]["status"] == "gone"
