"""`exchange` = KRX | NXT | SOR: orders carry it, bad values and unlisted stocks send nothing,
amend/cancel follow the order's venue, and an NXT fill shows in `kiwoom account` / `kiwoom orders`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiwoom_cli import market
from kiwoom_cli.clock import KST, ManualClock
from tests.kit.cli import kiwoom
from tests.kit.sim import instrument

NOT_ON_NXT = "002630"  # the simulator's stock that NXT does not list (ka10100 nxtEnable "N")


def orders_sent(sim) -> list[dict]:
    return [entry["body"] for entry in sim.order_log]


@pytest.fixture
def at(monkeypatch):
    """Set the KST time one-shot commands see (their Session's clock), e.g. at(16, 0)."""
    def set_time(hour: int, minute: int = 0) -> None:
        when = dt.datetime(2026, 11, 25, hour, minute, tzinfo=KST)
        monkeypatch.setattr("kiwoom_cli.cli.session.SystemClock", lambda: ManualClock(when))
    return set_time


@pytest.mark.parametrize("exchange", ["KRX", "NXT", "SOR"])
def test_each_exchange_reaches_the_broker_in_dmst_stex_tp(mock_env, sim, exchange):
    ran = kiwoom("order", "buy", "005930", "1", "--ticks", "0", "--wait", "0", "--exchange", exchange)
    assert ran.code == 0, ran.err
    [body] = orders_sent(sim)
    assert body["dmst_stex_tp"] == exchange and body["trde_tp"] == "0"


def test_the_setting_is_the_default_and_the_option_beats_it(mock_env, sim, monkeypatch):
    monkeypatch.setenv("KIWOOM_EXCHANGE", "SOR")
    assert kiwoom("order", "buy", "005930", "1", "--ticks", "0", "--wait", "0").code == 0
    assert kiwoom("order", "buy", "005930", "1", "--ticks", "0", "--wait", "0", "--exchange", "KRX").code == 0
    assert [b["dmst_stex_tp"] for b in orders_sent(sim)] == ["SOR", "KRX"]


@pytest.mark.parametrize("argv", [
    ("order", "buy", "005930", "1", "--market", "--exchange", "NYSE"),
    ("order", "sell", "005930", "1", "--market", "--exchange", "nxt"),
    ("order", "cancel", "0000001", "--exchange", "KOSDAQ"),
    ("order", "amend", "0000001", "--price", "97500", "--exchange", ""),
    ("run", "--buy-cond", "1", "--window", "false", "--headless", "--exchange", "NYSE"),
])
def test_a_value_not_in_the_list_exits_2_with_one_line_and_sends_nothing(mock_env, sim, argv):
    ran = kiwoom(*argv)
    assert ran.code == 2, ran.err
    assert "exchange" in ran.err and '"KRX", "NXT"' in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert sim.request_log == []  # not even a token: the value was refused before any request


def test_a_bad_value_in_the_environment_stops_the_run_before_it_starts(mock_env, sim, monkeypatch):
    monkeypatch.setenv("KIWOOM_EXCHANGE", "XKRX")
    ran = kiwoom("run", "--buy-cond", "1", "--window", "false", "--headless", "--until", "+1s")
    assert ran.code == 2 and "exchange" in ran.err
    assert sim.request_log == []


def test_nxt_refuses_a_stock_the_broker_says_it_does_not_trade(mock_env, sim):
    ran = kiwoom("order", "buy", NOT_ON_NXT, "1", "--ticks", "0", "--exchange", "NXT")
    assert ran.code == 2, ran.err
    assert "does not trade on NXT" in ran.err and "ka10100" in ran.err
    assert sim.order_log == []
    # the same stock through SOR or KRX is the broker's to route
    assert kiwoom("order", "buy", NOT_ON_NXT, "1", "--ticks", "0", "--wait", "0", "--exchange", "SOR").code == 0


@pytest.mark.parametrize("exchange", ["NXT", "SOR"])
def test_manual_market_order_outside_krx_hours_on_nxt_or_sor_exits_2(mock_env, sim, at, exchange):
    at(16, 0)
    ran = kiwoom("order", "buy", "005930", "1", "--market", "--exchange", exchange)
    assert ran.code == 2, ran.err
    assert "--market" in ran.err and "09:00-15:30" in ran.err
    assert sim.order_log == []


def test_manual_market_order_in_regular_hours_or_on_krx_is_sent(mock_env, sim, at):
    at(10, 0)
    assert kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0", "--exchange", "NXT").code == 0
    at(16, 0)  # KRX answers for itself (the always-open test simulator takes it)
    assert kiwoom("order", "buy", "005930", "1", "--market", "--wait", "0", "--exchange", "KRX").code == 0
    assert [(b["dmst_stex_tp"], b["trde_tp"]) for b in orders_sent(sim)] == [("NXT", "3"), ("KRX", "3")]


def test_amend_and_cancel_go_to_the_venue_the_order_was_placed_on(mock_env, sim):
    upper = instrument(sim).upper_limit
    assert kiwoom("order", "buy", "005930", "2", "--ticks", "2", "--wait", "0", "--exchange", "NXT").code == 0
    ran = kiwoom("order", "sell", "005930", "2", "--price", str(upper), "--wait", "0", "--exchange", "NXT",
                 "--json")
    assert ran.code == 0, ran.err
    sell_no = json.loads(ran.out)["order_no"]
    [listed] = json.loads(kiwoom("orders", "--json").out)["open_orders"]
    assert listed["exchange"] == "NXT"

    ran = kiwoom("order", "amend", sell_no, "--price", str(market.add_ticks(upper, -1)), "--json")  # setting: KRX
    assert ran.code == 0, ran.err
    amended_no = json.loads(ran.out)["order_no"]
    assert orders_sent(sim)[-1]["dmst_stex_tp"] == "NXT"

    sent = len(sim.order_log)
    ran = kiwoom("order", "cancel", amended_no, "--exchange", "KRX")
    assert ran.code == 2 and f"order {amended_no} was placed on NXT, not KRX" in ran.err
    assert len(sim.order_log) == sent
    assert kiwoom("order", "cancel", amended_no, "--wait", "0").code == 0
    assert [(b.get("orig_ord_no"), b["dmst_stex_tp"]) for b in orders_sent(sim)[-2:]] == [
        (sell_no, "NXT"), (amended_no, "NXT")]


def test_a_fill_on_nxt_shows_in_account_and_orders(mock_env, sim, monkeypatch):
    monkeypatch.setenv("KIWOOM_EXCHANGE", "NXT")
    assert kiwoom("order", "buy", "005930", "3", "--ticks", "2", "--wait", "0").code == 0
    [body] = orders_sent(sim)
    assert body["dmst_stex_tp"] == "NXT"
    ran = kiwoom("account", "--json")
    assert ran.code == 0, ran.err
    [holding] = json.loads(ran.out)["holdings"]
    assert (holding["code"], holding["qty"]) == ("005930", 3)  # once, though both venues were asked
    balance_venues = [e["body"]["dmst_stex_tp"] for e in sim.request_log if e.get("api_id") == "kt00018"]
    assert balance_venues == ["NXT", "KRX"]

    ran = kiwoom("orders", "--fills", "--json")
    assert ran.code == 0, ran.err
    [fill] = json.loads(ran.out)["fills"]
    assert fill["code"] == "005930" and fill["filled_qty"] == 3 and fill["exchange"] == "NXT"
    queried = [e["body"]["stex_tp"] for e in sim.request_log if e.get("api_id") in ("ka10075", "ka10076")]
    assert queried and set(queried) == {"0"}  # 통합: every venue in one answer
