"""`kiwoom run`'s engine resends what the broker refused with a rate limit or a refused token
(nothing was placed), against the simulator over real sockets. The engine runs on a ManualClock:
a retry is due one slot (1 s) after the refusal, so a test advances the clock and wakes the engine."""

from __future__ import annotations

import queue

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.models import OrderType
from tests.kit.engine import engine_on, give_limits, snapshot, wait_state
from tests.kit.helpers import wait_until
from tests.kit.sim import running_sim


@pytest.fixture
def rig(tmp_path):
    clock = ManualClock()
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue(), clock=clock,
                                         buy_order=OrderType.LIMIT, buy_ticks=1) as (engine, journal):
        yield sim, engine, journal, clock, tmp_path


def buys(sim, placed_only: bool = False) -> list[dict]:
    return [o for o in sim.order_log if o["api_id"] == "kt10000"
            and (not placed_only or o["result"].get("return_code") == 0)]


def priced(sim, engine, tmp, prices: dict[str, int]) -> None:
    give_limits(engine, sim, tmp, list(prices))  # a tick counts once a quote gave the day's limits
    engine.socket.register(list(prices))  # live ticks price the entries: the order is the next request
    for code, price in prices.items():
        sim.set_price(code, price)
    wait_until(lambda: all(snapshot(engine).marks.get(c) and snapshot(engine).marks[c].price == p
                           for c, p in prices.items()), message="ticks at the prices set")


def next_slot(engine, clock, seconds: float = 1.0) -> None:
    clock.advance(seconds)
    engine.put(ev.TimerFired())


def requests(journal, intent_id: str) -> list[tuple[str, str]]:
    return [(r["kind"], r["outcome"]) for r in journal.orders_for(intent_id)["requests"]]


def test_rate_limited_buy_goes_again_at_the_next_slot_repriced_and_is_placed_once(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000})
    sim.fault("rate_limit", 1)
    sim.push_condition("1", "005930", "I")
    wait_state(engine, lambda s: s.retries, message="the refusal noted")
    priced(sim, engine, tmp, {"005930": 101_000})  # the price moved while the order waited
    next_slot(engine, clock)
    wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
    engine.stop()
    assert [o["body"]["ord_uv"] for o in buys(sim)] == ["100100", "101100"]  # one tick above each price
    assert len(buys(sim, placed_only=True)) == 1 and sim.errors == []
    [intent] = journal.intents()
    assert intent["price"] == 101_100 and intent["status"] == "filled"
    assert requests(journal, intent["intent_id"])[:4] == [
        ("place", "sent"), ("answer", "rate_limited"), ("retry", "sent"), ("answer", "acked")]
    actions = [(d["rule"], d["action"]) for d in journal.decisions() if d["rule"] == "order"]
    assert ("order", "retry") in actions


def test_a_later_order_waits_behind_the_rate_limited_one(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000, "000660": 571_000})
    sim.fault("rate_limit", 1)
    sim.push_condition("1", "005930", "I")
    wait_state(engine, lambda s: s.retries, message="the first order refused")
    sim.push_condition("1", "000660", "I")
    wait_until(lambda: len(snapshot(engine).orders) == 2, message="the second order decided")
    assert len(buys(sim)) == 1  # held behind the first, not sent
    next_slot(engine, clock)
    wait_until(lambda: len(snapshot(engine).positions) == 2, timeout=10, message="both bought")
    engine.stop()
    assert [o["body"]["stk_cd"] for o in buys(sim)] == ["005930", "005930", "000660"]
    assert len(buys(sim, placed_only=True)) == 2


def test_a_buy_refused_past_five_seconds_is_given_up_and_reported(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000, "000660": 571_000})
    sim.fault("rate_limit", 1)
    sim.push_condition("1", "005930", "I")
    wait_state(engine, lambda s: s.retries, message="the refusal noted")
    next_slot(engine, clock, 6.0)  # the engine was late: past the 5 s a buy may wait
    wait_until(lambda: not snapshot(engine).orders, message="given up")
    sim.push_condition("1", "000660", "I")  # the order worker holds nothing any more
    wait_state(engine, lambda s: s.positions.get("000660"), timeout=10, message="the next buy placed")
    engine.stop()
    assert [o["body"]["stk_cd"] for o in buys(sim)] == ["005930", "000660"]
    first = journal.intents()[0]
    assert first["status"] == "failed" and first["reason"].startswith("not sent: rate-limited 1 times")
    assert ("order", "not sent") in [(d["rule"], d["action"]) for d in journal.decisions()]


def test_a_sell_refused_many_times_keeps_trying_and_is_placed(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000})
    sim.push_condition("1", "005930", "I")
    wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
    wait_until(lambda: not snapshot(engine).orders, message="the buy done")
    sim.fault("rate_limit", 5)
    sim.push_condition("2", "005930", "I")  # the sell condition
    sells = lambda placed=False: [o for o in sim.order_log if o["api_id"] == "kt10001"  # noqa: E731
                                  and (not placed or o["result"].get("return_code") == 0)]
    for _ in range(10):
        if sells(placed=True):
            break
        tried = len(sells())
        wait_until(lambda: len(sells()) > tried or snapshot(engine).retries, message="a try answered")
        wait_until(lambda: snapshot(engine).retries or sells(placed=True), message="refused or placed")
        if sells(placed=True):
            break
        next_slot(engine, clock)
        wait_until(lambda: len(sells()) > tried, message="the next try")
    wait_until(lambda: "005930" not in snapshot(engine).positions, timeout=10, message="sold")
    engine.stop()
    assert len(sells(placed=True)) == 1 and len(sells()) >= 3
    sell = next(i for i in journal.intents() if i["side"] == "sell")
    tries = [k for k, _ in requests(journal, sell["intent_id"])]
    assert tries.count("retry") == len(sells()) - 1


def test_refused_token_order_is_journaled_as_two_tries(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000})
    sim.fault("expire_token", 1)
    sim.push_condition("1", "005930", "I")
    wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
    engine.stop()
    assert len(buys(sim)) == 2 and len(buys(sim, placed_only=True)) == 1
    [intent] = journal.intents()
    assert requests(journal, intent["intent_id"])[:4] == [
        ("place", "sent"), ("answer", "token_refused"), ("retry", "sent"), ("answer", "acked")]


def test_a_buy_refused_three_times_is_not_sent_a_fourth(rig):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000})
    sim.fault("rate_limit", 3)
    sim.push_condition("1", "005930", "I")
    for tried in (1, 2):
        wait_until(lambda: len(buys(sim)) == tried and snapshot(engine).retries, message=f"try {tried} refused")
        next_slot(engine, clock)
    wait_until(lambda: not snapshot(engine).orders, message="given up after the third")
    engine.stop()
    assert len(buys(sim)) == 3 and buys(sim, placed_only=True) == []
    [intent] = journal.intents()
    assert intent["status"] == "failed" and intent["reason"].startswith("not sent: rate-limited 3 times")
    assert [k for k, _ in requests(journal, intent["intent_id"])].count("retry") == 2


def test_two_token_refusals_fail_the_order_and_the_run_says_so(rig, monkeypatch):
    sim, engine, journal, clock, tmp = rig
    engine.start()
    priced(sim, engine, tmp, {"005930": 100_000})
    issue = RestClient._issue

    def refused_at_once(self):  # the simulator refuses every token issued from here on, too
        entry = issue(self)
        sim.fault("expire_token", 1)
        return entry

    monkeypatch.setattr(RestClient, "_issue", refused_at_once)
    sim.fault("expire_token", 1)
    sim.push_condition("1", "005930", "I")
    wait_until(lambda: len(buys(sim)) == 2 and not snapshot(engine).orders, message="refused twice: failed")
    engine.stop()
    assert len(buys(sim)) == 2 and buys(sim, placed_only=True) == []
    [intent] = journal.intents()
    assert intent["reason"].startswith("not sent: a fresh token was refused too")
    assert [o for _, o in requests(journal, intent["intent_id"])] == [
        "sent", "token_refused", "sent", "failed"]
    said = [d["reason"] for d in journal.decisions() if d["rule"] == "order"]
    assert any("refused: not sent" in r for r in said)
