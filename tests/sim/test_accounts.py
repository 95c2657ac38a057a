"""Cash, holdings, average price, commission and sell-tax arithmetic (2026: 0.015 % / 0.20 %)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.sim.accounts import account_no_for
from kiwoom_cli.sim.domain import OrderUpdate
from tests.sim.conftest import KEY, make_exchange

SAMSUNG = "005930"
CASH = 100_000_000


def test_round_trip_cash_commission_tax_and_realized_pnl(sim):
    ex, events, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, 97_600, "0")
    # 976,000 + commission floor10(146.4) = 140
    acct = ex.account(KEY)
    assert acct.deposit == CASH - 976_140
    holding = acct.holdings[0]
    assert (holding.qty, holding.avg_price, holding.purchase_amount, holding.purchase_commission) == (
        10,
        97_600,
        976_000,
        140,
    )
    events.clear()
    ex.place_order(KEY, "sell", SAMSUNG, 10, None, "3")  # at best bid 97,400
    fill = events.of(OrderUpdate)[1].fill
    # 974,000: commission floor10(146.1) = 140, tax floor(974,000 x 0.2 %) = 1,948
    assert (fill.commission, fill.tax) == (140, 1_948)
    acct = ex.account(KEY)
    assert acct.deposit == CASH - 976_140 + 974_000 - 140 - 1_948
    assert acct.realized_pnl == 974_000 - 976_000 - 140 - 140 - 1_948 == acct.deposit - CASH
    order = ex.orders(KEY)[1]
    assert (order.commission, order.tax, order.filled_amount) == (140, 1_948, 974_000)


def test_average_price_over_two_buys_and_a_partial_sell(sim):
    ex, _, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, 97_600, "0")
    ex.set_price(SAMSUNG, 99_000)
    ex.place_order(KEY, "buy", SAMSUNG, 20, 99_100, "0")
    holding = ex.account(KEY).holdings[0]
    assert holding.purchase_amount == 976_000 + 1_982_000
    assert holding.avg_price == round(2_958_000 / 30) == 98_600
    assert holding.current_price == 99_000 and holding.base_price == 97_500
    ex.place_order(KEY, "sell", SAMSUNG, 15, None, "3")  # at 98,900
    holding = ex.account(KEY).holdings[0]
    assert holding.qty == 15
    assert holding.purchase_amount == 2_958_000 - 2_958_000 * 15 // 30
    assert holding.avg_price == 98_600  # selling does not change the average
    assert (holding.today_buy_qty, holding.today_sell_qty) == (30, 15)


@pytest.mark.parametrize(
    "day, tax",
    [(dt.date(2025, 6, 2), 1_461), (dt.date(2026, 11, 25), 1_948), (dt.date(2027, 3, 2), 1_948)],
)
def test_sell_tax_follows_the_trade_date(day, tax):
    clock = ManualClock(dt.datetime.combine(day, dt.time(10, 0), tzinfo=KST))
    ex, events, _ = make_exchange(clock)
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    events.clear()
    ex.place_order(KEY, "sell", SAMSUNG, 10, None, "3")
    assert events.of(OrderUpdate)[1].fill.tax == tax  # floor(974,000 x rate)


def test_commission_rate_can_be_configured():
    ex, events, _ = make_exchange(extra={"commission": 0.001})
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    assert events.of(OrderUpdate)[1].fill.commission == 970  # floor10(976,000 x 0.1 %)


def test_market_buy_reservation_uses_upper_limit_but_debits_fill_price(sim):
    ex, _, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    acct = ex.account(KEY)
    assert acct.deposit == acct.orderable == CASH - 976_140


def test_each_app_key_is_its_own_account_with_a_stable_number(sim):
    ex, _, _ = sim
    ex.issue_token("other-key", "secret")
    ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3")
    other = ex.account("other-key")
    assert other.deposit == CASH and other.holdings == ()
    assert ex.account(KEY).account_no == account_no_for(KEY)
    assert account_no_for(KEY) == account_no_for(KEY) != account_no_for("other-key")
    assert len(other.account_no) == 10 and other.account_no.isdigit()
