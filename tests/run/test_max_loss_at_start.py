"""`kiwoom run --max-daily-loss` on a day already past it (issue 13): it buys nothing from the
start and says why, in a decision and its JSON line."""

from __future__ import annotations

import signal

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.records import FillApplied
from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.models import Side
from tests.helpers import wait_until
from tests.run.runkit import ANY_HOUR, orders_for, subscribed

CODE = "005930"


def test_a_run_started_past_its_daily_loss_buys_nothing(sim, start_run):
    """Started on a day already at -158,167 realised, it bought, and halted only afterwards."""
    journal = Journal(journal_path("mock", "default"))
    journal.record_fill(FillApplied("m-earlier", "0000001", "000660", Side.SELL, 10, 150_000, -158_167),
                        SystemClock().now())
    journal.close()
    run = start_run("--buy-cond", "1", "--max-daily-loss", "100000", *ANY_HOUR)
    [halt] = run.wait_for("decision", rule="max_daily_loss", action="halt")
    assert "-158,167 <= -100,000 at start" in halt["reason"]
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed to condition 1")
    sim.push_condition("1", CODE, "I")
    [denied] = run.wait_for("decision", code=CODE, rule="buy_cond", action="deny")
    assert denied["reason"] == "max daily loss reached: buying halted"
    assert orders_for(sim, CODE) == [] and sim.order_log == []
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
