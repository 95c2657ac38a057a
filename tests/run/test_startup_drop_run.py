"""`kiwoom run` whose socket drops during its start-up (the simulator's drop_on_cnsrlst fault): the
run reconnects, lists the conditions again and trades, instead of exiting 4."""

from __future__ import annotations

from tests.kit.sim import arm
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import subscribed

ENTRY = "000660"


def test_a_drop_while_the_run_lists_its_conditions_is_reconnected_and_the_run_trades(sim, start_run):
    arm(sim, kind="drop_on_cnsrlst", count=1)
    run = start_run("--buy-cond", "1", "--buy-order", "market", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=20, message="the run subscribed after the drop")
    assert sim.ctx.faults.pending.get("drop_on_cnsrlst") == 0  # the drop happened
    sim.push_condition("1", ENTRY, "I")
    run.wait_for("fill", code=ENTRY, side="buy")
    run.signal()
    assert run.wait_exit() == 130
