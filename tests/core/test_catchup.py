"""Catch-up on the pure core (core/catchup.py): membership, gaps, and what each listing after a gap does."""

from __future__ import annotations

import io
import json

import pytest

from kiwoom_cli.cli.runfeed import Feed
from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.models import Cash, ConditionListed, SocketStatus
from tests.core.harness import T0, Driver, balance, entry, quote, quotes, settings

DOWN = SocketStatus("disconnected", "connection closed")
BACK = SocketStatus("connected", "reconnected")


@pytest.fixture
def make(tmp_path):
    drivers = []

    def _make(**kw) -> Driver:
        d = Driver(tmp_path / f"j{len(drivers)}.sqlite3", settings(**kw))
        d.kernel.state.members.seed("1", ())
        d.kernel.state.members.seed("2", ())
        drivers.append(d)
        return d

    yield _make
    for d in drivers:
        d.close()


def outage(d: Driver, seconds: float, *listings: ConditionListed) -> list:
    d.feed(DOWN)
    d.clock.advance(seconds)
    return d.feed(*listings, BACK)


def awaited(d: Driver) -> list[str]:
    return list(d.state.awaiting)


def test_an_entry_bought_before_the_gap_and_still_listed_is_not_bought_again(make):
    d = make()
    d.buy("005930", 70_000)
    outage(d, 10, ConditionListed("1", ("005930",)))
    assert awaited(d) == [] and len(d.orders()) == 1


def test_catch_up_off_logs_every_gap_entry_as_missed(make):
    d = make(catch_up_s=False)
    outage(d, 1, ConditionListed("1", ("005930",)))
    assert awaited(d) == []
    missed = [(x["code"], x["action"], x["reason"]) for x in d.decisions() if x["rule"] == "catch_up"]
    assert [m[:2] for m in missed] == [("005930", "skip")] and "catch_up is off" in missed[0][2]


def test_a_gap_entry_gets_every_usual_check(make):
    d = make(max_positions=1)
    d.buy("005930", 70_000)
    outage(d, 5, ConditionListed("1", ("005930", "000660")))
    assert awaited(d) == []  # one position already: the precheck refuses it as for a push
    assert [(x["code"], x["action"]) for x in d.decisions() if x["rule"] == "buy_cond"][-1] == ("000660", "deny")


def test_a_gap_entry_is_priced_by_a_fresh_quote_even_with_a_recent_price(make):
    d = make()
    d.feed(quotes(quote("005930", 69_000)), DOWN)  # a price younger than PRICE_MAX_AGE_S
    d.feed(ConditionListed("1", ("005930",)), BACK)
    assert awaited(d) == ["005930"]  # the quote request, not the mark
    assert [o.codes for o in d.feed(ev.Idle()) if isinstance(o, ev.NeedQuotes)] == [("005930",)]
    placed = d.feed(quotes(quote("005930", 70_000)))
    assert [(o.code, o.rule) for o in placed if isinstance(o, ev.PlaceOrder)] == [("005930", "buy_cond")]


def test_a_listing_after_the_reconnected_status_still_catches_up(make):
    d = make()
    d.feed(DOWN)
    d.clock.advance(3)
    d.feed(BACK, ConditionListed("1", ("005930",)))
    assert awaited(d) == ["005930"]
    d.feed(ConditionListed("1", ("005930", "000660")))  # a second listing without a new gap: nothing
    assert awaited(d) == ["005930"]


def test_pushes_keep_the_membership_and_a_vanished_member_is_an_exit(make):
    d = make()
    d.feed(entry("000660", seq="2"), entry("000660", seq="2", entered=False), entry("035420", seq="2"))
    assert d.state.members.members["2"] == {"035420"}
    outage(d, 2, ConditionListed("2", ()))
    assert d.state.members.members["2"] == set()
    assert [(x["code"], x["action"]) for x in d.decisions() if x["rule"] == "catch_up"] == [("035420", "info")]


def test_a_reconnected_status_without_a_drop_is_no_outage(make):
    d = make()
    d.feed(BACK)
    assert not any("outage" in x["reason"] for x in d.decisions())


def test_the_json_lines_show_the_outage_and_what_was_missed(tmp_path):
    out = io.StringIO()
    feed = Feed(out)
    journal = Journal(tmp_path / "j.sqlite3")
    kernel = Kernel(settings(catch_up_s=30), journal, id_prefix="f", sinks=[feed.consume])
    kernel.start(balance(), [], Cash(10**8, 10**8, 10**8), T0)
    kernel.state.members.seed("1", ("000660",))
    later = T0.replace(second=45)
    try:
        kernel.handle(DOWN, T0)
        kernel.handle(ConditionListed("1", ("005930",)), later)
        kernel.handle(BACK, later)
        feed.start()
    finally:
        feed.close()
        journal.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    catch = next(x for x in lines if x["kind"] == "catch_up")
    assert (catch["seq"], catch["gap_s"], catch["caught_up"], catch["missed"], catch["left"]) == (
        "1", 45.0, [], ["005930"], ["000660"])
    since = T0.isoformat(timespec="milliseconds")
    assert [(x["seconds"], x["since"]) for x in lines if x["kind"] == "outage"] == [(45.0, since)]


def test_the_strategy_decides_on_a_snapshot_as_on_the_live_state(make):
    d = make()
    d.feed(DOWN)
    d.clock.advance(2)
    listing = ConditionListed("1", ("005930",))
    d.state.apply(listing, d.clock.now())
    snap = d.state.snapshot()
    d.state.members.members["1"].clear()  # the copy does not follow the live state
    assert snap.members.members["1"] == {"005930"}
    outs = d.kernel.strategy.decide(listing, snap, d.clock.now())
    assert [o.code for o in outs if isinstance(o, ev.AwaitQuote)] == ["005930"]
    assert d.kernel.strategy.decide(BACK, snap, d.clock.now()) is not None


def test_the_outage_summary_names_ten_codes_and_counts_the_rest(make):
    d = make(catch_up_s=False)
    codes = tuple(f"{n:06d}" for n in range(1, 13))
    outage(d, 1, ConditionListed("1", codes))
    summary = next(x["reason"] for x in d.decisions() if x["reason"].startswith("condition 1 after"))
    assert summary.endswith("missed: " + ", ".join(codes[:10]) + " and 2 more")
