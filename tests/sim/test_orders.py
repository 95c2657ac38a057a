"""Order matching: market and limit orders, partial fills, rejections with the broker's codes."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.sim.domain import (
    OrderUpdate,
    PositionUpdate,
    SimInputError,
    SimRejection,
    TradePrint,
)
from tests.sim.conftest import KEY, make_exchange

SAMSUNG = "005930"  # base 97,500: tick 100, upper 126,700, lower 68,300; level depth 1,850


def test_market_buy_fills_at_best_ask_and_reports_accepted(sim):
    ex, events, _ = sim
    order = ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    assert (order.status, order.remaining_qty, order.filled_qty, len(order.order_no)) == ("접수", 10, 0, 7)
    kinds = [(type(e).__name__, getattr(e, "status", "")) for e in events]
    assert kinds == [("OrderUpdate", "접수"), ("OrderUpdate", "체결"), ("PositionUpdate", "")]
    fill = events[1].fill
    assert (fill.price, fill.qty, fill.remaining_qty) == (97_600, 10, 0)
    assert events[2].holding.qty == 10 and events[2].today_net_buy_qty == 10
    assert ex.open_orders(KEY) == []
    assert ex.orders(KEY)[0].status == "체결"


def test_large_market_buy_walks_the_book_in_slices():
    ex, events, _ = make_exchange(cash=1_000_000_000)
    ex.place_order(KEY, "buy", SAMSUNG, 5_000, None, "3")
    fills = [e.fill for e in events.of(OrderUpdate) if e.fill]
    assert [(f.price, f.qty, f.remaining_qty) for f in fills] == [
        (97_600, 1_850, 3_150),
        (97_700, 1_850, 1_300),
        (97_800, 1_300, 0),
    ]
    assert len({f.fill_no for f in fills}) == 3
    assert ex.instrument(SAMSUNG).price == 97_500  # paper fills do not move the market
    assert [f.price for f in ex.fills(KEY)] == [97_800, 97_700, 97_600]  # newest first


def test_market_sell_fills_at_best_bid(sim):
    ex, events, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    events.clear()
    ex.place_order(KEY, "sell", SAMSUNG, 10, None, "3")
    fill = events.of(OrderUpdate)[1].fill
    assert (fill.side, fill.price, fill.qty) == ("sell", 97_400, 10)
    assert events.of(PositionUpdate)[0].holding.qty == 0
    assert ex.account(KEY).holdings == ()


def test_limit_buy_rests_then_fills_when_a_trade_reaches_it(sim):
    ex, events, _ = sim
    order = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")
    assert [e.status for e in events.of(OrderUpdate)] == ["접수"]
    assert [o.order_no for o in ex.open_orders(KEY)] == [order.order_no]
    ex.set_price(SAMSUNG, 97_100)
    assert ex.open_orders(KEY)[0].remaining_qty == 10
    events.clear()
    ex.set_price(SAMSUNG, 96_500)  # gaps through the limit: fills at the order's price
    assert [type(e) for e in events] == [TradePrint, OrderUpdate, PositionUpdate]
    assert (events[1].fill.price, events[1].fill.qty) == (97_000, 10)
    assert ex.open_orders(KEY) == []


def test_limit_sell_rests_then_fills_on_uptick(sim):
    ex, events, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    ex.place_order(KEY, "sell", SAMSUNG, 10, 98_000, "0")
    assert ex.account(KEY).holdings[0].sellable_qty == 0
    events.clear()
    ex.set_price(SAMSUNG, 98_000)
    assert [e.fill.price for e in events.of(OrderUpdate)] == [98_000]
    assert ex.account(KEY).holdings == ()


def test_resting_limit_fills_partially_one_level_per_trade():
    ex, _events, _ = make_exchange(cash=1_000_000_000)
    ex.place_order(KEY, "buy", SAMSUNG, 5_000, 97_000, "0")
    remaining = []
    for _ in range(3):
        ex.set_price(SAMSUNG, 97_000)
        remaining.append(ex.orders(KEY)[0].remaining_qty)
    assert remaining == [3_150, 1_300, 0]
    assert ex.orders(KEY)[0].filled_amount == 5_000 * 97_000


def test_marketable_limit_buy_fills_now_up_to_its_price_and_rests_the_rest():
    ex, events, _ = make_exchange(cash=1_000_000_000)
    ex.place_order(KEY, "buy", SAMSUNG, 5_000, 97_700, "0")
    fills = [e.fill for e in events.of(OrderUpdate) if e.fill]
    assert [(f.price, f.qty) for f in fills] == [(97_600, 1_850), (97_700, 1_850)]
    rest = ex.open_orders(KEY)
    assert [(o.price, o.remaining_qty) for o in rest] == [(97_700, 1_300)]


def test_order_numbers_are_seven_digits_and_increase(sim):
    ex, _, _ = sim
    numbers = [ex.place_order(KEY, "buy", SAMSUNG, 1, 90_000, "0").order_no for _ in range(3)]
    assert numbers == ["0000001", "0000002", "0000003"]


@pytest.mark.parametrize(
    "side, code, qty, price, trde_tp, cash, error, code_no",
    [
        ("buy", SAMSUNG, 1, 97_550, "0", None, SimRejection, "RC4003"),  # off the grid
        ("buy", SAMSUNG, 1, 126_800, "0", None, SimRejection, "RC4004"),  # above the upper limit
        ("sell", SAMSUNG, 1, 68_200, "0", None, SimRejection, "RC4004"),  # below the lower limit
        ("buy", SAMSUNG, 11, 97_600, "0", 1_000_000, SimRejection, "RC4025"),  # 1,073,760 > cash
        ("buy", SAMSUNG, 8, None, "3", 1_000_000, SimRejection, "RC4025"),  # 8 x upper 126,700
        ("sell", SAMSUNG, 1, None, "3", None, SimRejection, "800033"),  # nothing held
        ("buy", SAMSUNG, 1, None, "5", None, SimRejection, "RC9000"),  # unsupported order type
        ("buy", SAMSUNG, 1, None, "0", None, SimRejection, "308003"),  # limit without price
        ("buy", "999999", 1, None, "3", None, SimInputError, "1902"),  # unknown code
        ("buy", SAMSUNG, 0, None, "3", None, SimInputError, "1517"),  # zero quantity
    ],
)
def test_rejections_carry_the_brokers_codes(side, code, qty, price, trde_tp, cash, error, code_no):
    ex, events, _ = make_exchange(**({"cash": cash} if cash else {}))
    with pytest.raises(error) as info:
        ex.place_order(KEY, side, code, qty, price, trde_tp)
    assert info.value.code == code_no
    assert events == [] and ex.orders(KEY) == []


def test_buy_exactly_affordable_is_accepted():
    # 10 x 97,600 = 976,000 + commission 140 = 976,140
    ex, _, _ = make_exchange(cash=976_140)
    ex.place_order(KEY, "buy", SAMSUNG, 10, 97_600, "0")
    assert ex.account(KEY).deposit == 0


def test_open_sells_reduce_sellable_quantity(sim):
    ex, _, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    ex.place_order(KEY, "sell", SAMSUNG, 6, 99_000, "0")
    assert ex.account(KEY).holdings[0].sellable_qty == 4
    with pytest.raises(SimRejection) as info:
        ex.place_order(KEY, "sell", SAMSUNG, 5, 99_000, "0")
    assert info.value.code == "800033"
    ex.place_order(KEY, "sell", SAMSUNG, 4, None, "3")
    assert ex.account(KEY).holdings[0].qty == 6


def test_open_buys_reserve_cash(sim):
    ex, _, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")  # 970,000 + 140
    ex.place_order(KEY, "buy", "000660", 1, None, "3")  # fills at once: no reservation left
    acct = ex.account(KEY)
    assert acct.orderable == acct.deposit - 970_140


@pytest.mark.parametrize(
    "hhmm, code_no",
    [((8, 0), "RC4057"), ((15, 30), "RC4058"), ((23, 0), "RC4058")],
)
def test_orders_outside_hours_are_rejected(hhmm, code_no):
    clock = ManualClock(dt.datetime(2026, 11, 25, *hhmm, tzinfo=KST))
    ex, _, _ = make_exchange(clock, always_open=False)
    assert not ex.is_open()
    with pytest.raises(SimRejection) as info:
        ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3")
    assert info.value.code == code_no


@pytest.mark.parametrize("hhmm, phase", [((8, 45), "opening-auction"), ((15, 25), "closing-auction")])
def test_auction_phases_accept_orders_as_continuous(hhmm, phase):
    clock = ManualClock(dt.datetime(2026, 11, 25, *hhmm, tzinfo=KST))
    ex, _, _ = make_exchange(clock, always_open=False)
    assert ex.phase().value == phase and not ex.is_open()
    assert ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3").status == "접수"
    assert ex.account(KEY).holdings[0].qty == 1


def test_always_open_trades_at_night():
    clock = ManualClock(dt.datetime(2026, 11, 25, 23, 0, tzinfo=KST))
    ex, _, _ = make_exchange(clock)
    assert ex.is_open()
    ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3")
    assert ex.account(KEY).holdings[0].qty == 1


def test_marketable_limit_sell_fills_now_at_the_bid(sim):
    ex, events, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    events.clear()
    ex.place_order(KEY, "sell", SAMSUNG, 10, 97_300, "0")
    fills = [e.fill for e in events.of(OrderUpdate) if e.fill]
    assert [(f.price, f.qty) for f in fills] == [(97_400, 10)]


@pytest.mark.parametrize("price", [97_550, 126_800, 68_200, 0])
def test_set_price_refuses_off_grid_and_out_of_limit_prices(sim, price):
    ex, events, _ = sim
    with pytest.raises(SimInputError) as info:
        ex.set_price(SAMSUNG, price)
    assert info.value.code == "1517"
    assert events == [] and ex.instrument(SAMSUNG).price == 97_500


def test_set_price_updates_ohlcv_and_book(sim):
    ex, events, _ = sim
    ex.set_price(SAMSUNG, 98_000)
    trade = ex.set_price(SAMSUNG, 97_000)
    inst = ex.instrument(SAMSUNG)
    assert (inst.open, inst.high, inst.low, inst.price) == (98_000, 98_000, 97_000, 97_000)
    assert (inst.best_bid, inst.best_ask) == (96_900, 97_100)
    assert inst.volume == 2 * abs(trade.qty) and trade.qty < 0
    assert inst.turnover == abs(trade.qty) * (98_000 + 97_000)
    assert trade.instrument == inst and events.of(TradePrint)[-1] == trade
