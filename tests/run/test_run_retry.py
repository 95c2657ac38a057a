"""`kiwoom run` (a real process, mock mode, headless) resends a rate-limited order and says so in its
JSON lines; a sell still refused when the run ends is named in the summary."""

from __future__ import annotations

import signal

from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import orders_for, subscribed

CODE = "005930"


def bought(sim, run) -> None:
    """Buy on an entry; wait until the run has refreshed its cash after the fill (its last request)."""
    sim.set_price(CODE, 100_000)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed")
    sim.push_condition("1", CODE, "I")
    run.wait_for("fill", code=CODE, side="buy")
    wait_until(lambda: [e.get("api_id") for e in sim.request_log].count("kt00001") >= 2,
               message="cash refreshed after the fill")
    wait_until(lambda: subscribed(sim, seq="5"), message="run subscribed to the sell condition")


def test_rate_limited_sell_is_resent_and_reported(sim, start_run):
    run = start_run("--buy-cond", "1", "--sell-cond", "5", *ANY_HOUR)
    bought(sim, run)
    sim.fault("rate_limit", 1)  # the sell is the next request (a market sell: no quote)
    sim.push_condition("5", CODE, "I")
    run.wait_for("fill", code=CODE, side="sell")
    sell = run.matching("order", code=CODE, action="place", side="sell")[0]
    [refusal] = run.matching("order_refused", intent_id=sell["intent_id"])
    [retry] = run.matching("order_retry", intent_id=sell["intent_id"])
    decisions = [d["action"] for d in run.matching("decision", rule="order", code=CODE)]
    run.signal()
    assert run.wait_exit() == 130
    sells = orders_for(sim, CODE, "kt10001")
    assert [o["result"].get("return_code") == 0 for o in sells] == [False, True]  # refused, then placed once
    assert refusal["refusal"] == "rate_limited" and retry["attempt"] == 2
    assert "retry" in decisions
    assert run.summary()["unanswered"] == []


def test_a_sell_refused_until_the_run_ends_is_named_in_the_summary(sim, start_run):
    run = start_run("--buy-cond", "1", "--sell-cond", "5", *ANY_HOUR)
    bought(sim, run)
    sim.fault("rate_limit", 1000)  # every request from here on
    sim.push_condition("5", CODE, "I")
    sell = run.wait_for("order", code=CODE, action="place", side="sell")[0]
    run.wait_for("order_retry", intent_id=sell["intent_id"], attempt=3)  # still trying
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
    [waiting] = run.summary()["unanswered"]
    assert (waiting["intent_id"], waiting["side"], waiting["refused"]) == (sell["intent_id"], "sell", "rate_limited")
    assert waiting["tries"] >= 3
    assert [o for o in orders_for(sim, CODE, "kt10001") if o["result"].get("return_code") == 0] == []
