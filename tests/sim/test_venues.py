"""The simulated venues under `--hours krx`: KRX's phases, NXT's sessions, SOR between them."""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.sim.domain import SimInputError, SimRejection, TradePrint
from kiwoom_cli.sim.instruments import NOT_ON_NXT
from tests.sim.conftest import KEY, make_exchange

SAMSUNG = "005930"
SMALL = sorted(NOT_ON_NXT)[0]


def krx_hours(hour: int, minute: int = 0, **config):
    clock = ManualClock(dt.datetime(2026, 11, 25, hour, minute, tzinfo=KST))
    ex, events, _ = make_exchange(clock, always_open=False, **config)
    return ex, events


def refusal(ex, *args, **kw) -> str:
    with pytest.raises(SimRejection) as info:
        ex.place_order(KEY, *args, **kw)
    return info.value.code


@pytest.mark.parametrize("hhmm, krx_shut", [((8, 0), True), ((8, 49), False), ((15, 30), True), ((16, 0), True),
                                            ((19, 59), True)])
def test_nxt_extra_sessions_take_limits_and_refuse_market_orders(hhmm, krx_shut):
    ex, _ = krx_hours(*hhmm)
    price = ex.instrument(SAMSUNG).price
    assert ex.place_order(KEY, "buy", SAMSUNG, 1, price, "0", "NXT").venue == "NXT"
    assert refusal(ex, "buy", SAMSUNG, 1, None, "3", "NXT") == "RC4088"
    assert ex.place_order(KEY, "buy", SAMSUNG, 1, price, "0", "SOR").venue == "SOR"
    if krx_shut:  # SOR goes to NXT while KRX is shut; in KRX's opening auction, to KRX
        assert refusal(ex, "buy", SAMSUNG, 1, None, "3", "SOR") == "RC4088"
    else:
        assert ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3", "SOR").status == "접수"


@pytest.mark.parametrize("hhmm, code", [((7, 59), "RC4057"), ((8, 55), "RC4057"), ((15, 25), "RC4058"),
                                        ((20, 0), "RC4058")])
def test_nxt_is_closed_between_its_sessions(hhmm, code):
    ex, _ = krx_hours(*hhmm)
    assert refusal(ex, "buy", SAMSUNG, 1, ex.instrument(SAMSUNG).price, "0", "NXT") == code


def test_krx_after_hours_is_still_closed_and_market_orders_trade_in_regular_hours():
    ex, _ = krx_hours(16, 0)
    assert refusal(ex, "buy", SAMSUNG, 1, None, "3", "KRX") == "RC4058"
    ex, _ = krx_hours(10, 0)
    for venue in ("KRX", "NXT", "SOR"):
        assert ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3", venue).status == "접수"
    assert ex.account(KEY).holdings[0].qty == 3


def test_a_stock_nxt_does_not_list_is_refused_there_and_routed_to_krx_by_sor():
    ex, _ = krx_hours(16, 0)
    price = ex.instrument(SMALL).price
    assert refusal(ex, "buy", SMALL, 1, price, "0", "NXT") == "RC4089"
    assert refusal(ex, "buy", SMALL, 1, price, "0", "SOR") == "RC4058"  # to KRX, which is closed
    assert not ex.nxt_enabled(SMALL) and ex.nxt_enabled(SAMSUNG)


def test_an_unknown_venue_is_an_input_error():
    ex, _ = krx_hours(10, 0)
    with pytest.raises(SimInputError):
        ex.place_order(KEY, "buy", SAMSUNG, 1, None, "3", "NYSE")


def test_amend_and_cancel_must_name_the_orders_venue():
    ex, _ = krx_hours(16, 0)
    upper = ex.instrument(SAMSUNG).upper_limit
    lower = ex.instrument(SAMSUNG).lower_limit
    order = ex.place_order(KEY, "buy", SAMSUNG, 1, lower, "0", "NXT")
    with pytest.raises(SimRejection):
        ex.cancel_order(KEY, order.order_no, SAMSUNG, 0, "SOR")
    amended = ex.amend_order(KEY, order.order_no, SAMSUNG, 1, lower + 100, "NXT")
    assert amended.venue == "NXT" and amended.price == lower + 100 < upper
    assert ex.cancel_order(KEY, amended.order_no, SAMSUNG, 0, "NXT").kind == "cancel"


def test_after_krx_hours_only_nxt_stocks_random_walk():
    ex, events = krx_hours(16, 0, static=False)
    ex.step(300)
    traded = {e.code for e in events.of(TradePrint)}
    assert traded and not traded & NOT_ON_NXT
    ex, events = krx_hours(21, 0, static=False)
    ex.step(50)
    assert events.of(TradePrint) == []
