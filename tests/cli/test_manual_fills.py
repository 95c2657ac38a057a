"""The fills of manual orders are journaled (issue 13 item 3): the day's loss counts the realised P&L
of a manual sell, once, whichever command or run finds it first (core/manualfills.py)."""

from __future__ import annotations

import json
import sqlite3

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.daypnl import position_pnl
from kiwoom_cli.core.journal import Journal, journal_path
from kiwoom_cli.core.records import Position
from kiwoom_cli.market import CostRates, round_down_to_tick
from tests.kit.cli import kiwoom
from tests.kit.sim import instrument
from tests.cli.test_pretrade import config

CODE = "005930"
BUY, SELL = ("order", "buy"), ("order", "sell")


def rows(sql: str, args=()) -> list[tuple]:
    db = sqlite3.connect(journal_path("mock", "default"))
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def fills() -> list[tuple]:
    return rows("SELECT side, qty, price, realised FROM fills ORDER BY id")


def ok(*argv: str):
    ran = kiwoom(*argv)
    assert ran.code == 0, (ran.code, ran.out, ran.err)
    return ran


def test_a_manual_sell_at_a_loss_counts_against_the_next_manual_buy(mock_env, sim, tmp_path):
    """Buy 100, the price falls 5 %, sell 100: the next buy's check counts that realised loss."""
    config(tmp_path, max_daily_loss=100_000)
    ok(*BUY, CODE, "100", "--market")
    sim.set_price(CODE, round_down_to_tick(int(instrument(sim).price * 0.95)))
    ok(*SELL, CODE, "100", "--market")
    assert [r[:2] for r in fills()] == [("buy", 100)]  # journaled before the sell's checks
    sent = list(sim.order_log)
    ran = kiwoom(*BUY, CODE, "1", "--market")
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    assert ran.err.startswith("kiwoom: ") and len(ran.err.strip().splitlines()) == 1, ran.err  # one clear line
    assert "max daily loss" in ran.err and "<= -100,000" in ran.err, ran.err
    assert sim.order_log == sent  # nothing sent
    [(_, _, bought, _), (side, qty, sold, realised)] = fills()
    assert (side, qty) == ("sell", 100)
    # no managed position and no holding left: priced against today's journaled buys of the code
    assert realised == position_pnl(100, bought, sold, CostRates()) < -100_000


def test_kiwoom_orders_twice_journals_the_fills_once(mock_env, sim):
    ok(*BUY, CODE, "10", "--market", "--wait", "0")  # not followed: the journal has no fill yet
    [(intent_id, status)] = rows("SELECT intent_id, status FROM intents")
    assert status == "acked" and fills() == []
    first = ok("orders")
    assert "journaled a fill" in first.err, first.err
    assert [r[:2] for r in fills()] == [("buy", 10)]
    assert rows("SELECT status, filled FROM intents WHERE intent_id=?", (intent_id,)) == [("filled", 10)]
    second = ok("orders")
    assert "journaled" not in second.err, second.err
    assert [r[:2] for r in fills()] == [("buy", 10)]
    assert rows("SELECT count(*) FROM positions") == [(0,)]  # a manual buy is not managed


def test_a_manual_sell_of_a_managed_position_reduces_it_at_its_average(mock_env, sim):
    """Its realised P&L is counted against the journal's average, not the broker's."""
    ok(*BUY, CODE, "10", "--market")
    ok("orders")  # the buy's fill journaled; then a run adopts the holding at its own average
    avg = float(instrument(sim).price + 5_000)
    journal = Journal.open_for("mock", "default")
    try:
        journal.save_position(Position(CODE, "", 10, 10, avg), "test", SystemClock().now())
    finally:
        journal.close()
    ok(*SELL, CODE, "4", "--market")
    ok("orders")
    [(side, qty, price, realised)] = [r for r in fills() if r[0] == "sell"]
    assert (side, qty) == ("sell", 4)
    assert realised == position_pnl(4, avg, price, CostRates())
    assert rows("SELECT qty, sellable, avg_price FROM positions WHERE code=?", (CODE,)) == [(6, 6, avg)]
    ok("orders")
    assert len(fills()) == 2  # buy and sell, once each


def test_a_sell_of_a_code_not_managed_counts_against_the_brokers_average(mock_env, sim):
    ok(*BUY, CODE, "10", "--market")
    ok("orders")  # the buy's fill
    [held] = [h for h in json.loads(ok("account", "--json").out)["holdings"] if h["code"] == CODE]
    ok(*SELL, CODE, "4", "--market")
    ok("orders")
    [(_, qty, price, realised)] = [r for r in fills() if r[0] == "sell"]
    assert qty == 4 and realised == position_pnl(4, held["avg_price"], price, CostRates())
    assert rows("SELECT count(*) FROM positions") == [(0,)]


def test_the_fill_of_an_amended_manual_sell_is_journaled_under_its_new_number(mock_env, sim):
    inst = instrument(sim)
    ok(*BUY, CODE, "10", "--market")
    ok(*SELL, CODE, "10", "--price", str(inst.upper_limit), "--wait", "0")  # rests: far above the price
    [resting] = json.loads(ok("orders", "--json").out)["open_orders"]
    amended = ok("order", "amend", resting["order_no"], "--price", str(inst.lower_limit), "--json")
    new_no = json.loads(amended.out)["order_no"]
    assert new_no != resting["order_no"]
    ok("orders")
    [place] = rows("SELECT intent_id, status FROM intents WHERE kind='place' AND side='sell'")
    assert place[1] == "filled"
    assert rows("SELECT order_no, qty FROM fills WHERE intent_id=?", (place[0],)) == [(new_no, 10)]
