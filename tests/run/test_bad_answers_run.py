"""`kiwoom run` against malformed broker answers (#12 item 5, the simulator's bad_answer fault): a
balance answer without its holdings drops nothing, buying halts and says so in the JSON lines, and
the stop-loss still sells."""

from __future__ import annotations

import json
import signal

from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import api_ids, arm
from tests.kit.sim import orders_for, subscribed

HELD, ENTRY = "005930", "000660"
NO_HOLDINGS = json.dumps({"return_code": 0, "return_msg": "조회가 완료되었습니다"})


def test_a_balance_answer_without_holdings_drops_nothing_halts_buying_and_exits_still_work(sim, start_run):
    sim.set_price(HELD, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "market", "--stop-loss-pct", "false", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    sim.push_condition("1", HELD, "I")
    bought = first.wait_for("fill", code=HELD, side="buy")[0]
    first.signal(signal.SIGTERM)
    assert first.wait_exit() == 130

    arm(sim, kind="bad_answer", api_id="kt00018", status=200, body=NO_HOLDINGS, count=3)  # and its retries
    second = start_run("--buy-cond", "1", "--stop-loss-pct", "-2", *ANY_HOUR)
    halt = second.wait_for("decision", rule="broker", action="halt")[0]
    assert halt["reason"].startswith("unexpected answer from the broker: kt00018")
    assert "buying halted, exits keep working" in halt["reason"]
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="second run subscribed")
    sim.push_condition("1", ENTRY, "I")
    denied = second.wait_for("decision", code=ENTRY, action="deny")[0]
    assert "buying halted" in denied["reason"]
    wait_until(lambda: subscribed(sim, code=HELD), message="0B registered for the kept position")
    sim.set_price(HELD, 95_000)  # -5 %: the journal's position is still managed
    sell = second.wait_for("order", code=HELD, side="sell", action="place")[0]
    assert (sell["qty"], sell["rule"]) == (bought["qty"], "stop_loss")
    second.wait_for("fill", code=HELD, side="sell")
    second.signal()
    assert second.wait_exit() == 130
    assert orders_for(sim, ENTRY) == []
    assert api_ids(sim).count("kt00018") == 1 + 3  # the first run's start, then the second's three tries
