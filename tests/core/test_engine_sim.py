"""The engine end to end against the simulator: real REST + WebSocket clients on 127.0.0.1."""

from __future__ import annotations

import queue

import pytest

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.kiwoom.ratelimit import RateLimiter
from tests.client.simkit import running_sim
from tests.engine_rig import engine_on
from tests.helpers import wait_until


@pytest.fixture(params=[None], ids=["no-limits"])
def rig(request, tmp_path):
    limits = request.param
    with running_sim(rate_limit=limits) as sim:
        limiter = RateLimiter(*limits, clock=SystemClock()) if limits else None  # one per process
        with engine_on(sim, tmp_path, queue.SimpleQueue(), limiter=limiter) as (engine, journal):
            yield sim, engine, journal


def snapshot(engine: Engine):
    engine.changed.clear()
    engine.request_snapshot()
    assert engine.changed.wait(5)
    return engine.latest


def test_entry_buys_then_stop_loss_sells_and_unregisters(rig):
    sim, engine, journal = rig
    sim.set_price("005930", 100_000)
    engine.start()
    sim.push_condition("1", "005930", "I")
    pos = wait_until(lambda: snapshot(engine).positions.get("005930"), timeout=10, message="bought")
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
    # One quote request per batch in flight: entries that arrive while one is out wait and share the
    # next. Five control pushes may land in up to two batches before the first answer (burst 2); all
    # later ones wait for the bucket's next token together, so never more than burst + 1 requests.
    assert 1 <= [e.get("api_id") for e in log].count("ka10095") <= 3
    buys = [i["code"] for i in journal.intents() if i["side"] == "buy"]
    assert buys == codes  # in arrival order
