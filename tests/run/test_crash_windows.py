"""kill -9 at each point of a buy's life, then a restart: the run's own fills are managed positions
with the bought quantity, nothing is sent twice, nothing the run bought is left unmanaged (#12 item 2).

"Before the intent is durable" and "durable, not sent" are reached through the journal and the
kernel (tests/core/test_crash_points.py): a real process cannot be stopped there on purpose.
"""

from __future__ import annotations

import signal

from kiwoom_cli.market import round_down_to_tick
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import orders_for, subscribed

CODE = "005930"


def _hold_answers(sim, seconds: float) -> None:
    """The next order is placed at once, its HTTP answer held `seconds` (the sim's delay_order)."""
    sim.call(lambda: setattr(sim.ctx.faults, "delay_order_s", seconds))
    sim.fault("delay_order")


def _crash(run) -> None:
    run.proc.send_signal(signal.SIGKILL)
    run.kill()
    assert run.matching("summary") == []


def _restart_sells_exactly(sim, start_run, qty: int, entry_price: int) -> None:
    """A restarted run manages the holding: its stop-loss sells the whole bought quantity, once."""
    second = start_run("--buy-cond", "1", "--stop-loss-pct", "-2", *ANY_HOUR)
    second.wait_for("socket", state="connected")  # after the start-up reconcile's decisions
    assert not [d for d in second.matching("decision") if "not managed" in d.get("reason", "")]
    wait_until(lambda: subscribed(sim, code=CODE), message="0B registered for the adopted holding")
    sim.set_price(CODE, entry_price - entry_price // 20)  # -5 %: the stop-loss fires
    sell = second.wait_for("order", code=CODE, side="sell", action="place")[0]
    assert sell["qty"] == qty and sell["rule"] == "stop_loss"
    second.wait_for("fill", code=CODE, side="sell")
    second.signal()
    assert second.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, CODE)] == ["kt10000", "kt10001"]  # one buy, one sell


def test_kill_while_a_filled_buys_answer_is_in_flight(sim, start_run):
    sim.set_price(CODE, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "market", "--stop-loss-pct", "-2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    _hold_answers(sim, 60.0)
    sim.push_condition("1", CODE, "I")
    placed = first.wait_for("order", code=CODE, action="place")[0]
    wait_until(lambda: orders_for(sim, CODE, "kt10000"), message="the buy reached the simulator")
    _crash(first)  # the buy filled at the broker; its answer never came
    _restart_sells_exactly(sim, start_run, placed["qty"], 100_000)


def test_kill_after_a_market_buy_was_answered_and_filled(sim, start_run):
    sim.set_price(CODE, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "market", "--stop-loss-pct", "-2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    sim.push_condition("1", CODE, "I")
    placed = first.wait_for("order", code=CODE, action="place")[0]
    first.wait_for("order_result", intent_id=placed["intent_id"], result="acked")
    first.wait_for("fill", code=CODE, side="buy")
    _crash(first)
    _restart_sells_exactly(sim, start_run, placed["qty"], 100_000)


def test_kill_while_a_resting_buys_answer_is_in_flight(sim, start_run):
    sim.set_price(CODE, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "limit", "--buy-ticks", "-2", "--amend-after-s", "600",
                      "--stop-loss-pct", "-2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    _hold_answers(sim, 60.0)
    sim.push_condition("1", CODE, "I")
    placed = first.wait_for("order", code=CODE, action="place")[0]
    wait_until(lambda: orders_for(sim, CODE, "kt10000"), message="the buy reached the simulator")
    _crash(first)  # the buy rests at the broker, unfilled; its answer never came

    second = start_run("--buy-cond", "1", "--amend-after-s", "600", "--stop-loss-pct", "-2", *ANY_HOUR)
    second.wait_for("socket", state="connected")
    assert [d for d in second.matching("decision") if d["reason"] == f"order {placed['intent_id']} re-attached"]
    sim.set_price(CODE, placed["price"])  # the market comes down to the limit: the buy fills
    filled = second.wait_for("fill", code=CODE, side="buy")[0]
    assert filled["qty"] == placed["qty"]
    wait_until(lambda: subscribed(sim, code=CODE), message="0B registered for the holding")
    sim.set_price(CODE, round_down_to_tick(placed["price"] * 95 // 100))
    sell = second.wait_for("order", code=CODE, side="sell", action="place")[0]
    assert (sell["qty"], sell["rule"]) == (placed["qty"], "stop_loss")
    second.signal()
    assert second.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, CODE)] == ["kt10000", "kt10001"]


def test_kill_while_a_filled_sells_answer_is_in_flight(sim, start_run):
    sim.set_price(CODE, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "market", "--stop-loss-pct", "-2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    sim.push_condition("1", CODE, "I")
    first.wait_for("fill", code=CODE, side="buy")
    wait_until(lambda: subscribed(sim, code=CODE), message="0B registered for the holding")
    _hold_answers(sim, 60.0)
    sim.set_price(CODE, 95_000)  # the stop-loss sells; its answer is held
    sell = first.wait_for("order", code=CODE, side="sell", action="place")[0]
    wait_until(lambda: orders_for(sim, CODE, "kt10001"), message="the sell reached the simulator")
    _crash(first)

    second = start_run("--buy-cond", "1", "--stop-loss-pct", "-2", *ANY_HOUR)
    second.wait_for("socket", state="connected")
    found = [d for d in second.matching("decision") if d["reason"].startswith("own fill found after the restart")]
    assert [d["code"] for d in found] == [CODE] and f"{sell['qty']} @" in found[0]["reason"]
    sim.set_price(CODE, 90_000)  # nothing left to sell: no second sell
    sim.push_condition("1", CODE, "I")  # and a new entry is a new position (the old one is closed)
    second.wait_for("fill", code=CODE, side="buy")
    second.signal()
    assert second.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, CODE)] == ["kt10000", "kt10001", "kt10000"]


def test_kill_after_a_partial_fill_with_the_rest_filled_while_down(sim, start_run):
    thin = "058470"  # 16 shares a price level in the simulator: a 25-share buy fills in two parts
    sim.set_price(thin, 39_850)
    args = ("--buy-cond", "1", "--buy-order", "limit", "--buy-ticks", "-2", "--amend-after-s", "600",
            "--stop-loss-pct", "-2", *ANY_HOUR)
    first = start_run(*args)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    sim.push_condition("1", thin, "I")
    placed = first.wait_for("order", code=thin, action="place")[0]
    first.wait_for("order_result", intent_id=placed["intent_id"], result="acked")
    sim.set_price(thin, placed["price"])
    part = first.wait_for("fill", code=thin, side="buy")[0]
    assert 0 < part["qty"] < placed["qty"]
    _crash(first)
    sim.set_price(thin, placed["price"])  # the rest fills while the run is down

    second = start_run(*args)
    second.wait_for("socket", state="connected")
    found = [d for d in second.matching("decision") if d["reason"].startswith("own fill found after the restart")]
    assert [d["reason"].split(": ")[1].split(" @")[0] for d in found] == [str(placed["qty"] - part["qty"])]
    wait_until(lambda: subscribed(sim, code=thin), message="0B registered for the holding")
    sim.set_price(thin, round_down_to_tick(placed["price"] * 95 // 100))
    sell = second.wait_for("order", code=thin, side="sell", action="place")[0]
    assert (sell["qty"], sell["rule"]) == (placed["qty"], "stop_loss")  # every share, counted once
    second.signal()
    assert second.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, thin)] == ["kt10000", "kt10001"]
