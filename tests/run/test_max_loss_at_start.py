"""`kiwoom run --max-daily-loss` on a day already past it (issue 13): it buys nothing from the
start and says why, in a decision and its JSON line."""

from __future__ import annotations

import signal

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.records import FillApplied
from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.market import round_down_to_tick
from kiwoom_cli.models import Side
from tests.kit.cli import kiwoom
from tests.kit.helpers import wait_until
from tests.kit.cli import mock_env
from tests.kit.run import ANY_HOUR
from tests.kit.sim import orders_for, subscribed

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


def test_a_run_started_after_a_manual_loss_past_its_limit_buys_nothing(sim, start_run, monkeypatch):
    """The manual sell's fill was never journaled by a command: the run's start journals it
    (core/manualfills.py) and counts its realised loss before it buys anything."""
    for key, value in mock_env(sim).items():
        monkeypatch.setenv(key, value)
    assert kiwoom("order", "buy", CODE, "100", "--market").code == 0
    price = sim.call(lambda: sim.ctx.exchange.instrument(CODE)).price
    sim.set_price(CODE, round_down_to_tick(int(price * 0.95)))
    assert kiwoom("order", "sell", CODE, "100", "--market").code == 0
    manual = list(sim.order_log)
    journal = Journal(journal_path("mock", "default"))
    assert journal.load(SystemClock().now().date()).realised == 0  # the sell's fill is not journaled yet
    journal.close()
    run = start_run("--buy-cond", "1", "--max-daily-loss", "100000", *ANY_HOUR)
    [halt] = run.wait_for("decision", rule="max_daily_loss", action="halt")
    assert "<= -100,000 at start" in halt["reason"]
    [fill] = run.wait_for("decision", code=CODE, rule="manual", action="info")
    assert "manual fill journaled: sell 100" in fill["reason"]
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="run subscribed to condition 1")
    sim.push_condition("1", CODE, "I")
    [denied] = run.wait_for("decision", code=CODE, rule="buy_cond", action="deny")
    assert denied["reason"] == "max daily loss reached: buying halted"
    assert sim.order_log == manual  # the run sent nothing
    run.signal(signal.SIGTERM)
    assert run.wait_exit() == 130
