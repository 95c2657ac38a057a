"""`kiwoom run` across a crash (journal + broker reconcile), and the runs that must not start."""

from __future__ import annotations

import signal

from kiwoom_cli.core import lock
from kiwoom_cli.market import round_down_to_tick
from tests.kit.cli import mock_env
from tests.kit.helpers import wait_until
from tests.kit.run import ANY_HOUR, Run
from tests.kit.sim import APP_KEY, SECRET, orders_for, subscribed

HELD, RESTING = "005930", "000660"


def test_restart_resumes_an_open_order_and_an_armed_trailing_stop_without_resending(sim, start_run):
    sim.set_price(HELD, 100_000)
    first = start_run("--buy-cond", "1", "--buy-order", "limit", "--buy-ticks", "-2", "--amend-after-s", "600",
                      "--stop-loss-pct", "false", *ANY_HOUR)
    wait_until(lambda: subscribed(sim, seq="1"), timeout=15, message="first run subscribed")
    sim.push_condition("1", HELD, "I")
    held = first.wait_for("order", code=HELD, action="place")[0]
    first.wait_for("order_result", intent_id=held["intent_id"], result="acked")
    sim.set_price(HELD, held["price"])  # the market comes down to the limit: the buy fills
    fill = first.wait_for("fill", code=HELD, side="buy")[0]
    wait_until(lambda: subscribed(sim, code=HELD), message="0B registered for the holding")
    high = round_down_to_tick(int(fill["price"] * 1.03))
    sim.set_price(HELD, high)
    first.wait_for("decision", code=HELD, rule="trailing", action="arm")
    sim.push_condition("1", RESTING, "I")
    resting = first.wait_for("order", code=RESTING, action="place")[0]
    first.wait_for("order_result", intent_id=resting["intent_id"], result="acked")

    first.proc.send_signal(signal.SIGKILL)  # a crash: no chance to tidy up
    first.kill()
    assert first.matching("summary") == []

    second = start_run("--buy-cond", "1", "--amend-after-s", "1", "--stop-loss-pct", "false", *ANY_HOUR)
    # the resting buy is resumed, not placed again: the amend deadline has long passed -> amended once
    amend = second.wait_for("order", code=RESTING, action="amend")[0]
    assert amend["target_id"] == resting["intent_id"]
    second.wait_for("fill", code=RESTING, side="buy")
    # the trailing stop is still armed at its high: a 1.5 % drop (return about +1.3 %, below the
    # 2 % arm level, so a fresh start would not sell) fires it
    wait_until(lambda: subscribed(sim, code=HELD), message="0B re-registered after restart")
    sim.set_price(HELD, round_down_to_tick(int(high * 0.985)))
    sell = second.wait_for("fill", code=HELD, side="sell")[0]
    assert sell["qty"] == fill["qty"]
    assert second.matching("order", side="sell")[0]["rule"] == "trailing"
    second.signal()
    assert second.wait_exit() == 130
    assert [o["api_id"] for o in orders_for(sim, RESTING)] == ["kt10000", "kt10002"]  # one buy, one amend
    assert [o["api_id"] for o in orders_for(sim, HELD)] == ["kt10000", "kt10001"]
    assert second.matching("order", action="place", side="buy") == []


def test_second_run_exits_6_naming_the_first(sim, start_run):
    first = start_run("--buy-cond", "1", *ANY_HOUR)
    first.wait_for("start")
    second = start_run("--buy-cond", "1", *ANY_HOUR)
    assert second.wait_exit() == 6
    assert f"pid {first.proc.pid}" in second.stderr
    assert second.lines == []  # refused before it connected to anything (the start line comes after)
    first.signal()
    assert first.wait_exit() == 130
    assert lock.holder_pid() is None


def test_unknown_condition_exits_2_listing_the_saved_ones_and_orders_nothing(sim):
    run = Run("--headless", "--buy-cond", "no such condition", *ANY_HOUR, env=mock_env(sim))
    assert run.wait_exit() == 2
    assert "unknown condition 'no such condition'" in run.stderr
    assert "0 급등주 포착" in run.stderr and "5 급락주 포착" in run.stderr
    assert sim.order_log == []
    assert lock.holder_pid() is None  # the lock was given back


def test_real_mode_without_yes_and_no_terminal_exits_2_before_connecting(sim):
    env = {**mock_env(sim), "KIWOOM_MODE": "real", "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET}
    run = Run("--headless", "--buy-cond", "1", *ANY_HOUR, env=env)
    assert run.wait_exit() == 2
    assert "--yes" in run.stderr and "real money" in run.stderr
    assert sim.request_log == []
