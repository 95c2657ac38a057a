"""The run's feed is a sink of the kernel's fact stream (core/facts.py): it reports each turn's
facts after the journal committed them, on its own thread."""

from __future__ import annotations

import io
import json
import sqlite3

from kiwoom_cli.cli.runfeed import Feed
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.models import Cash, OrderStatus, OrderType, Side
from tests.core.harness import T0, balance, entry, oe, quote, quotes, settings


def test_a_turns_facts_reach_the_feed_only_after_the_journal_committed_them(tmp_path):
    out = io.StringIO()
    feed = Feed(out)
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    committed_at_feed = []

    def consume(turn) -> None:  # what another connection sees when the feed is handed the turn
        with sqlite3.connect(path) as db:
            committed_at_feed.append(db.execute("SELECT count(*) FROM intents").fetchone()[0])
        feed.consume(turn)

    kernel = Kernel(settings(), journal, id_prefix="f", sinks=[consume])
    kernel.start(balance(), [], Cash(10**8, 10**8, 10**8), T0)
    kernel.handle(entry("005930"), T0)
    kernel.handle(ev.Idle(), T0)
    try:
        while not feed._q.empty():  # the earlier turns' facts: not what this test looks at
            feed._q.get()
        committed_at_feed.clear()
        kernel.handle(quotes(quote("005930", 70_000)), T0)
        assert committed_at_feed == [1]  # the intent was in SQLite before the feed saw it
        feed.start()
    finally:
        feed.close()
        journal.close()
    kinds = [json.loads(line)["kind"] for line in out.getvalue().splitlines()]
    assert kinds == ["decision", "order"]  # reported in the turn's order


def _run_kernel(tmp_path, out):
    feed = Feed(out)
    journal = Journal(tmp_path / "j.sqlite3")
    kernel = Kernel(settings(), journal, id_prefix="f", sinks=[feed.consume])
    kernel.start(balance(), [], Cash(10**8, 10**8, 10**8), T0)
    return feed, journal, kernel


def test_an_order_event_before_the_answer_is_reported_with_its_intent_once_the_number_is_known(tmp_path):
    out = io.StringIO()
    feed, journal, kernel = _run_kernel(tmp_path, out)
    try:
        kernel.handle(entry("005930"), T0)
        kernel.handle(ev.Idle(), T0)
        (order,) = [i for i in kernel.handle(quotes(quote("005930", 70_000)), T0) if isinstance(i, ev.PlaceOrder)]
        kernel.handle(oe("0000007", "005930", Side.BUY, OrderStatus.ACCEPTED, order.qty, order.qty, 0), T0)
        kernel.handle(ev.OrderAcked(order.intent_id, "0000007"), T0)
        feed.start()
    finally:
        feed.close()
        journal.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    events = [(x["kind"], x.get("intent_id")) for x in lines if x["kind"] in ("order_result", "order_event")]
    assert events == [("order_event", order.intent_id), ("order_result", order.intent_id)]  # in time order


def test_an_order_event_with_no_order_of_ours_waiting_is_reported_at_once(tmp_path):
    out = io.StringIO()
    feed, journal, kernel = _run_kernel(tmp_path, out)
    try:  # an order placed elsewhere (HTS, another tool) on the same account
        kernel.handle(oe("0000099", "000660", Side.BUY, OrderStatus.ACCEPTED, 1, 1, 0), T0)
        feed.start()
    finally:
        feed.close()
        journal.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["kind"], x["intent_id"], x["order_no"]) for x in lines if x["kind"] == "order_event"] == [
        ("order_event", None, "0000099")]


def test_a_settle_query_that_finds_an_order_ties_its_earlier_events_to_it(tmp_path):
    from kiwoom_cli.core.journal import Journal

    j = Journal(tmp_path / "j.sqlite3")
    try:
        j.record_order_event(oe("0000042", "005930", Side.BUY, OrderStatus.ACCEPTED, 1, 1, 0), None, T0)
        j.record_intent(ev.PlaceOrder("s1", Side.BUY, "005930", 1, None, OrderType.MARKET, "buy_cond", "run"), T0)
        j.link_order("s1", "0000042")
        assert [e["order_no"] for e in j.orders_for("s1")["events"]] == ["0000042"]
    finally:
        j.close()
