"""`kiwoom run` through a socket drop: the entry pushed at the drop is bought once, the outage is reported.

Whether the push lands in the gap (caught up from the re-subscription's list) or just after it (a
live push), the run buys it exactly once; the JSON lines name the outage and each condition's
catch-up either way. The gap itself is made deterministic in tests/core/test_catchup_sim.py.
"""

from __future__ import annotations

from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import orders_for, subscribed

CODE, OTHER = "005930", "000660"


def test_an_entry_pushed_at_a_socket_drop_is_bought_once_and_the_outage_is_reported(sim, start_run):
    run = start_run("--buy-cond", "1", "--sell-cond", "2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1") and subscribed(sim, seq="2"), timeout=15, message="run subscribed")
    run.wait_for("socket", state="connected")  # started: a drop during the start-up subscriptions exits 4
    sim.fault("drop_socket")
    sim.push_condition("1", CODE, "I")  # the run's socket is gone: this push reaches nobody, or the new one
    run.wait_for("fill", code=CODE, side="buy", timeout=30)
    outage = run.wait_for("outage", timeout=30)[0]
    assert outage["seconds"] >= 0 and outage["since"]
    catch = run.wait_for("catch_up", seq="1", timeout=30)[0]
    assert catch["missed"] == [] and set(catch["caught_up"]) <= {CODE}
    sim.push_condition("1", OTHER, "I")
    run.wait_for("fill", code=OTHER, side="buy", timeout=30)  # everything before it was handled
    run.signal()
    assert run.wait_exit() == 130
    assert len(orders_for(sim, CODE, "kt10000")) == 1


def test_a_stock_in_the_condition_at_start_is_not_bought_after_a_drop(sim, start_run):
    sim.push_condition("1", CODE, "I")  # listed when the run subscribes: not an entry
    run = start_run("--buy-cond", "1", "--sell-cond", "2", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1") and subscribed(sim, seq="2"), timeout=15, message="run subscribed")
    run.wait_for("socket", state="connected")  # started: a drop during the start-up subscriptions exits 4
    sim.fault("drop_socket")
    assert run.wait_for("catch_up", seq="1", timeout=30)[0]["entered"] == []
    sim.push_condition("1", OTHER, "I")
    run.wait_for("fill", code=OTHER, side="buy", timeout=30)
    run.signal()
    assert run.wait_exit() == 130
    assert orders_for(sim, CODE) == []
