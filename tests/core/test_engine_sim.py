"""The engine end to end against the simulator: real REST + WebSocket clients on 127.0.0.1."""

from __future__ import annotations

import queue
import threading

import pytest

from kiwoom_cli.clock import ManualClock, SystemClock
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from tests.kit.engine import engine_on, give_limits, snapshot, wait_state
from tests.kit.helpers import wait_until
from tests.kit.sim import running_sim


@pytest.fixture(params=[None], ids=["no-limits"])
def rig(request, tmp_path):
    limits = request.param
    with running_sim(rate_limit=limits) as sim:
        limiter = RateLimiter(*limits, clock=SystemClock()) if limits else None  # one per process
        with engine_on(sim, tmp_path, queue.SimpleQueue(), limiter=limiter) as (engine, journal):
            yield sim, engine, journal


def test_entry_buys_then_stop_loss_sells_and_unregisters(rig):
    sim, engine, journal = rig
    sim.set_price("005930", 100_000)
    engine.start()
    sim.push_condition("1", "005930", "I")
    pos = wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
    assert pos.managed and pos.qty > 0
    wait_until(lambda: "005930" in engine.socket.registered, message="registered")
    sim.set_price("005930", 96_000)  # about -4.2 %: the stop-loss sells everything
    wait_until(lambda: "005930" not in snapshot(engine).positions, timeout=10, message="sold")
    wait_until(lambda: "005930" not in engine.socket.registered, message="unregistered")
    engine.stop()
    assert engine.exit_reason == "stopped" and sim.errors == []
    rules = [(d["rule"], d["action"]) for d in journal.decisions() if d["rule"] != "socket"]
    assert rules == [("buy_cond", "buy"), ("stop_loss", "sell")]
    assert [i["status"] for i in journal.intents()] == ["filled", "filled"]
    assert len(sim.order_log) == 2


@pytest.mark.parametrize("rig", [(1.0, 2)], ids=["broker-limits"], indirect=True)
def test_burst_of_entries_under_the_broker_limits(rig):
    sim, engine, journal = rig
    codes = ["005930", "000660", "035420", "005380", "051910"]
    engine.start()
    for code in codes:
        sim.push_condition("1", code, "I")
    wait_until(lambda: len(snapshot(engine).positions) == 5, timeout=20, message="five positions")
    engine.stop()
    log = sim.request_log
    assert [e["status"] for e in log if e["status"] != 200] == []  # zero 429s: the limiter waited
    # Entries that arrive while a quote request is out wait and share the next one: however the five
    # pushes fall into batches (machine load decides that), every code is quoted once, never twice.
    quoted = [code for e in log if e.get("api_id") == "ka10095" for code in e["body"]["stk_cd"].split("|")]
    assert sorted(quoted) == sorted(codes), quoted
    buys = [i["code"] for i in journal.intents() if i["side"] == "buy"]
    assert buys == codes  # in arrival order
    # ... and they reached the broker in that order, whichever thread wrote each one
    assert [o["body"]["stk_cd"] for o in sim.order_log if o["api_id"] == "kt10000"] == codes


def test_refused_token_order_is_placed_once_with_a_new_token(rig, tmp_path):
    sim, engine, journal = rig
    engine.start()
    give_limits(engine, sim, tmp_path, ["005930"])
    engine.socket.register(["005930"])  # a live tick prices the entry: the order is the next request
    sim.set_price("005930", 100_000)
    wait_until(lambda: "005930" in snapshot(engine).marks, message="a tick")
    issued = [e.get("api_id") for e in sim.request_log].count("au10001")
    quoted = [e.get("api_id") for e in sim.request_log].count("ka10095")
    sim.fault("expire_token", 1)  # the order carries a token the broker now refuses
    sim.push_condition("1", "005930", "I")
    pos = wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
    engine.stop()
    assert pos.qty > 0 and sim.errors == []
    orders = [(o["body"]["stk_cd"], o["result"].get("return_code")) for o in sim.order_log]
    assert orders == [("005930", 3), ("005930", 0)]  # refused at the gate once, then placed once
    assert [e.get("api_id") for e in sim.request_log].count("au10001") == issued + 1
    assert [e.get("api_id") for e in sim.request_log].count("ka10095") == quoted  # priced by the tick
    assert [i["status"] for i in journal.intents()] == ["filled"]


def test_an_order_waiting_for_a_rate_slot_is_never_overtaken(tmp_path):
    """Orders 1 and 2 use the burst; 3 waits in the order worker for a slot; 4 arrives when a slot
    is free again, but 3 is still waiting: 4 must go after 3."""
    clock, sleeping, release = ManualClock(), threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:  # the order worker waiting for its slot: held until released
        sleeping.set()
        assert release.wait(10)

    prices = {"005930": 97_500, "000660": 571_000, "035420": 251_500, "005380": 254_000}  # base prices
    codes = list(prices)
    limiter = RateLimiter(1.0, 2, clock=clock, sleep=sleep)
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue(), limiter=limiter) as (engine, _):
        engine.start()
        give_limits(engine, sim, tmp_path, codes)
        engine.socket.register(codes)  # live ticks price every entry: no quote requests
        for code, price in prices.items():
            sim.set_price(code, price)
        wait_until(lambda: set(codes) <= set(snapshot(engine).marks), message="ticks for every code")
        for code in codes[:3]:
            sim.push_condition("1", code, "I")
        wait_until(sleeping.is_set, message="the third order waiting for a rate slot")
        clock.advance(5.0)  # slots are free again, and the third order still waits in the worker
        sim.push_condition("1", codes[3], "I")
        wait_until(lambda: codes[3] in {o.code for o in snapshot(engine).orders.values()},
                   message="the fourth order decided")
        release.set()
        wait_until(lambda: len([o for o in sim.order_log if o["api_id"] == "kt10000"]) == 4, message="four orders")
        assert [o["body"]["stk_cd"] for o in sim.order_log if o["api_id"] == "kt10000"] == codes


def test_a_tracked_stock_missing_at_start_is_dropped_only_after_a_second_balance_answer(rig):
    import datetime as dt

    from kiwoom_cli.core.records import Position

    sim, engine, journal = rig
    now = dt.datetime.now(SystemClock().now().tzinfo)
    journal.save_position(Position("000660", "n", 7, 7, 100_000.0), "an earlier run", now)
    waited: list[float] = []
    engine.sleep = waited.append  # the wait between the two answers, not slept here
    engine.start()
    engine.stop()
    assert waited == [5.0]
    assert [e["api_id"] for e in sim.request_log].count("kt00018") == 2
    assert journal.load(now.date()).positions == []
