"""정정 (amend) and 취소 (cancel): new order numbers, remaining quantities, reservations."""

from __future__ import annotations

import pytest

from kiwoom_cli.sim.domain import OrderUpdate, SimRejection
from tests.sim.conftest import KEY

SAMSUNG = "005930"


def test_amend_moves_all_remaining_to_a_new_number(sim):
    ex, events, _ = sim
    orig = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")
    events.clear()
    new = ex.amend_order(KEY, orig.order_no, SAMSUNG, 0, 96_900)
    assert new.order_no != orig.order_no and new.orig_order_no == orig.order_no
    assert (new.kind, new.qty, new.price, new.remaining_qty) == ("amend", 10, 96_900, 10)
    assert [(e.status, e.order.kind, e.order.order_no) for e in events] == [
        ("접수", "amend", new.order_no),
        ("확인", "amend", new.order_no),
    ]
    assert [(o.order_no, o.remaining_qty) for o in ex.open_orders(KEY)] == [(new.order_no, 10)]
    assert ex.account(KEY).orderable == ex.account(KEY).deposit - 969_000 - 140


def test_partial_amend_splits_the_order(sim):
    ex, _, _ = sim
    orig = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")
    new = ex.amend_order(KEY, orig.order_no, SAMSUNG, 4, 96_800)
    assert [(o.order_no, o.price, o.remaining_qty) for o in ex.open_orders(KEY)] == [
        (orig.order_no, 97_000, 6),
        (new.order_no, 96_800, 4),
    ]


def test_amend_to_a_marketable_price_fills(sim):
    ex, events, _ = sim
    orig = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")
    events.clear()
    new = ex.amend_order(KEY, orig.order_no, SAMSUNG, 0, 97_600)
    assert [e.status for e in events.of(OrderUpdate)] == ["접수", "확인", "체결"]
    fill = events.of(OrderUpdate)[2].fill
    assert (fill.order_no, fill.price, fill.qty) == (new.order_no, 97_600, 10)
    assert ex.open_orders(KEY) == []
    assert ex.account(KEY).holdings[0].qty == 10


def test_cancel_all_remaining_releases_cash(sim):
    ex, events, _ = sim
    orig = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")
    events.clear()
    cancel = ex.cancel_order(KEY, orig.order_no, SAMSUNG, 0)
    assert (cancel.kind, cancel.qty, cancel.orig_order_no) == ("cancel", 10, orig.order_no)
    assert cancel.order_no not in (orig.order_no,)
    assert [(e.status, e.order.kind) for e in events] == [("접수", "cancel"), ("확인", "cancel")]
    acct = ex.account(KEY)
    assert ex.open_orders(KEY) == [] and acct.orderable == acct.deposit
    ex.set_price(SAMSUNG, 96_000)  # a cancelled order never fills
    assert ex.account(KEY).holdings == ()


def test_partial_cancel_of_a_sell_releases_shares(sim):
    ex, _, _ = sim
    ex.place_order(KEY, "buy", SAMSUNG, 10, None, "3")
    sell = ex.place_order(KEY, "sell", SAMSUNG, 10, 99_000, "0")
    ex.cancel_order(KEY, sell.order_no, SAMSUNG, 3)
    assert ex.account(KEY).holdings[0].sellable_qty == 3
    assert ex.open_orders(KEY)[0].remaining_qty == 7


def test_cancel_after_a_partial_fill_cancels_the_rest():
    from tests.sim.conftest import make_exchange

    ex, _, _ = make_exchange(cash=1_000_000_000)
    orig = ex.place_order(KEY, "buy", SAMSUNG, 5_000, 97_000, "0")
    ex.set_price(SAMSUNG, 97_000)  # fills one level: 1,850
    cancel = ex.cancel_order(KEY, orig.order_no, SAMSUNG, 0)
    assert cancel.qty == 3_150
    assert ex.account(KEY).holdings[0].qty == 1_850
    assert ex.orders(KEY)[0].filled_qty == 1_850


@pytest.mark.parametrize(
    "action, setup, code_no",
    [
        ("amend", "unknown", "RC4031"),
        ("cancel", "unknown", "RC4031"),
        ("amend", "filled", "RC4031"),
        ("cancel", "filled", "RC4031"),
        ("cancel", "cancelled", "RC4031"),
        ("amend", "too_many", "RC4032"),
        ("cancel", "too_many", "RC4032"),
        ("amend", "off_grid", "RC4003"),
        ("amend", "wrong_code", "RC4031"),
    ],
)
def test_amend_and_cancel_rejections(sim, action, setup, code_no):
    ex, _, _ = sim
    code, qty, price = SAMSUNG, 0, 96_900
    if setup == "unknown":
        order_no = "0999999"
    elif setup == "filled":
        order_no = ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3").order_no
    else:
        order_no = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0").order_no
    if setup == "cancelled":
        ex.cancel_order(KEY, order_no, SAMSUNG, 0)
    if setup == "too_many":
        qty = 11
    if setup == "off_grid":
        price = 96_950
    if setup == "wrong_code":
        code = "000660"
    with pytest.raises(SimRejection) as info:
        if action == "amend":
            ex.amend_order(KEY, order_no, code, qty, price)
        else:
            ex.cancel_order(KEY, order_no, code, qty)
    assert info.value.code == code_no


def test_amend_up_needs_cash_for_the_difference():
    from tests.sim.conftest import make_exchange

    ex, _, _ = make_exchange(cash=1_000_000)
    orig = ex.place_order(KEY, "buy", SAMSUNG, 10, 97_000, "0")  # reserves 970,140
    with pytest.raises(SimRejection) as info:
        ex.amend_order(KEY, orig.order_no, SAMSUNG, 0, 100_100)  # needs 1,001,150
    assert info.value.code == "RC4025"
    ex.amend_order(KEY, orig.order_no, SAMSUNG, 0, 99_700)  # 997,140 fits; marketable: fills at 97,600
    assert ex.account(KEY).holdings[0].qty == 10 and ex.open_orders(KEY) == []
