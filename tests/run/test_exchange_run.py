"""`kiwoom run --exchange`: a real run process sends its orders to the venue it was given."""

from __future__ import annotations

import signal

from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR
from tests.kit.sim import orders_for, subscribed

CODE = "005930"


def test_run_sends_entries_and_exits_to_the_exchange_it_was_given(sim, start_run):
    # --buy-ticks: a limit (after KRX hours on SOR) fills on the static market as a market order would
    run = start_run("--buy-cond", "1", "--exchange", "SOR", "--buy-ticks", "2", *ANY_HOUR)
    sim.set_price(CODE, 100_000)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed to condition 1")
    sim.push_condition("1", CODE, "I")
    run.wait_for("fill", code=CODE, side="buy")
    assert run.matching("start")[0]["settings"]["exchange"] == "SOR"
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
    assert [o["body"]["dmst_stex_tp"] for o in orders_for(sim, CODE)] == ["SOR"]


def test_a_run_on_nxt_registers_the_nx_code_and_its_ticks_move_the_held_position(sim, start_run):
    run = start_run("--buy-cond", "1", "--exchange", "NXT", "--buy-ticks", "2", *ANY_HOUR)
    sim.set_price(CODE, 100_000)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed to condition 1")
    sim.push_condition("1", CODE, "I")
    run.wait_for("fill", code=CODE, side="buy")
    wait_until(lambda: subscribed(sim, code=f"{CODE}_NX"), timeout=15, message="0B registered as 005930_NX")
    assert not subscribed(sim, code=CODE)
    sim.set_price(CODE, 95_000)  # -5 %: the stop-loss sells on NXT
    wait_until(lambda: orders_for(sim, CODE, "kt10001"), timeout=15, message="the stop-loss sell")
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
    assert [o["body"]["dmst_stex_tp"] for o in orders_for(sim, CODE)] == ["NXT", "NXT"]
