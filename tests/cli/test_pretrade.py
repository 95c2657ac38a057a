"""A manual order passes the run's pre-trade checks (issue 13 item 3): over the orderable cash or
past the day's loss it exits 2 with the reason and the simulator receives nothing."""

from __future__ import annotations

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.records import FillApplied, Position
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.market import round_down_to_tick
from kiwoom_cli.models import Side
from tests.kit.cli import kiwoom
from tests.kit.sim import instrument
from tests.cli.test_bad_input import BUY, fails


def config(tmp_path, **run) -> None:
    lines = ["[run]", *(f"{k} = {v}" for k, v in run.items())]
    (tmp_path / "kiwoom.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def journaled(realised: float = 0.0, position: Position | None = None) -> None:
    """What kiwoom journaled earlier today: a sell's realised P&L, a position it manages."""
    journal = Journal.open_for("mock", "default")
    now = SystemClock().now()
    try:
        if realised:
            journal.record_fill(FillApplied("m-earlier", "0000001", "000660", Side.SELL, 10, 150_000, realised), now)
        if position is not None:
            journal.save_position(position, "test", now)
    finally:
        journal.close()


def test_a_market_buy_over_the_orderable_cash_sends_nothing(mock_env, sim):
    """Issue 13: a market buy over the cash was sent to the broker (100,000,000 shares is now bad
    input by its quantity alone; 1,000 at the upper limit is about 127 million against 100)."""
    fails(sim, (*BUY, "005930", "1000", "--market"), 2, "cash: needs", "100,000,000 available")
    fails(sim, (*BUY, "005930", "100000", "--ticks", "0"), 2, "cash: needs")


def test_a_limit_buy_over_the_cash_left_by_a_resting_buy_sends_nothing(mock_env, sim):
    """The broker's orderable cash already holds what open buys reserve."""
    lower = instrument(sim).lower_limit
    qty = 90_000_000 // lower  # about 90 million rests at the lower limit: it never fills
    placed = kiwoom(*BUY, "005930", str(qty), "--price", str(lower), "--wait", "0")
    assert placed.code == 0, placed.err
    sent = list(sim.order_log)
    ran = kiwoom(*BUY, "005930", str(qty // 2), "--price", str(lower), "--wait", "0")
    assert ran.code == 2 and "cash: needs" in ran.err, ran.err
    assert sim.order_log == sent  # nothing more was sent


def test_an_amend_beyond_the_cash_sends_nothing(mock_env, sim):
    """Re-pricing a buy up holds more cash: what it adds is checked against the orderable cash."""
    inst = instrument(sim)
    qty = 60_000_000 // inst.lower_limit
    placed = kiwoom(*BUY, "005930", str(qty), "--price", str(inst.lower_limit), "--wait", "0")
    assert placed.code == 0, placed.err
    [order] = [o for o in sim.order_log if o["api_id"] == "kt10000"]
    # at the upper limit it would hold about 60 million more than it does, 40 million are left
    ran = kiwoom("order", "amend", order["result"]["ord_no"], "--price", str(inst.upper_limit), "--wait", "0")
    assert ran.code == 2 and "cash: needs" in ran.err, ran.err
    assert [o["api_id"] for o in sim.order_log] == ["kt10000"]
    lower_up = round_down_to_tick(inst.lower_limit + 1_000)  # a little more: within the cash, sent
    ok = kiwoom("order", "amend", order["result"]["ord_no"], "--price", str(lower_up), "--wait", "0")
    assert ok.code == 0, ok.err
    assert [o["api_id"] for o in sim.order_log] == ["kt10000", "kt10002"]


def test_a_manual_buy_past_the_days_realised_loss_sends_nothing(mock_env, sim, tmp_path):
    config(tmp_path, max_daily_loss=100_000)
    journaled(realised=-158_167)
    fails(sim, (*BUY, "005930", "1", "--market"), 2, "max daily loss", "-158,167 <= -100,000")


def test_the_days_loss_counts_managed_positions_at_live_prices(mock_env, sim, tmp_path):
    """Neither alone is past the limit: -60,000 realised, about -50,000 on a managed position at the
    simulator's price; together they are, as the dashboard would show."""
    config(tmp_path, max_daily_loss=100_000)
    price = instrument(sim, "000660").price
    journaled(realised=-60_000, position=Position("000660", "", 10, 10, price + 5_000))
    fails(sim, (*BUY, "005930", "1", "--market"), 2, "max daily loss")
    sim.set_price("000660", round_down_to_tick(price + 6_000))  # now the position is up: under the limit
    ok = kiwoom(*BUY, "005930", "1", "--market", "--wait", "0")
    assert ok.code == 0, ok.err
    assert [o["api_id"] for o in sim.order_log] == ["kt10000"]


def test_a_sell_is_not_held_back_by_the_days_loss(mock_env, sim, tmp_path):
    config(tmp_path, max_daily_loss=100_000)
    assert kiwoom(*BUY, "005930", "1", "--market", "--wait", "0").code == 0
    journaled(realised=-158_167)
    ran = kiwoom("order", "sell", "005930", "1", "--market", "--wait", "0")
    assert ran.code == 0, ran.err
    assert [o["api_id"] for o in sim.order_log] == ["kt10000", "kt10001"]


def test_a_managed_position_the_quotes_leave_out_refuses_a_buy(mock_env, sim, tmp_path):
    """The day's loss counts a managed position at its live price; when ka10095 answers without a
    price for it (the simulator leaves out a code it does not list) that P&L is unknown, not zero:
    the buy is refused (exit 4) and nothing is sent, as for any malformed answer."""
    config(tmp_path, max_daily_loss=100_000)
    journaled(position=Position("999990", "", 10, 10, 50_000))
    fails(sim, (*BUY, "005930", "1", "--market"), 4, "999990", "day's P&L")


def test_once_a_run_reached_the_days_loss_a_manual_buy_waits_for_tomorrow(mock_env, sim, tmp_path):
    """A run that reached max_daily_loss stops buying for the day (its `max_loss` flag, journaled);
    a manual buy is one of those buys, even once the positions' prices have come back up."""
    config(tmp_path, max_daily_loss=100_000)
    journal = Journal.open_for("mock", "default")
    try:
        journal.set_flag(SystemClock().now().date(), "max_loss", "day P&L -120,000 <= -100,000")
    finally:
        journal.close()
    fails(sim, (*BUY, "005930", "1", "--market"), 2, "max daily loss", "for the day")
    ran = kiwoom("order", "sell", "005930", "1", "--market", "--wait", "0")  # a sell is never held back
    assert "max daily loss" not in ran.err
