"""Venues in the client: bodies, the venue read from ka10075/ka10076 rows, ka10100, kt00018 merged per venue."""

from __future__ import annotations

import pytest

from kiwoom_cli.errors import BadInput
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.kiwoom.venues import merge_balances
from kiwoom_cli.models import AccountTotals, Balance, Holding
from tests.kit.sim import rest_client, running_sim


@pytest.mark.parametrize("exchange", ["KRX", "NXT", "SOR"])
def test_order_bodies_carry_the_exchange(exchange):
    assert protocol.order_body("005930", 1, None, exchange)["dmst_stex_tp"] == exchange
    assert protocol.amend_body("0000001", "005930", 1, 97_500, exchange)["dmst_stex_tp"] == exchange
    assert protocol.cancel_body("0000001", "005930", 0, exchange)["dmst_stex_tp"] == exchange


def test_bad_venues_are_refused_in_the_bodies():
    with pytest.raises(BadInput):
        protocol.order_body("005930", 1, None, "krx")
    with pytest.raises(BadInput):
        protocol.balance_body("SOR")  # kt00018 takes KRX or NXT only
    assert protocol.balance_body("NXT") == {"qry_tp": "1", "dmst_stex_tp": "NXT"}
    assert protocol.open_orders_body()["stex_tp"] == protocol.fills_body()["stex_tp"] == "0"  # 통합


ROW = {"ord_no": "0000037", "stk_cd": "005930", "io_tp_nm": "-매도", "ord_qty": "1", "ord_pric": "158200",
       "cntr_pric": "158200", "cntr_qty": "1", "oso_qty": "0"}


@pytest.mark.parametrize("fields, venue", [
    ({"stex_tp": "0", "stex_tp_txt": "SOR", "sor_yn": "Y"}, "SOR"),  # the spec's ka10076 example
    ({"stex_tp": "1", "stex_tp_txt": "KRX", "sor_yn": "N"}, "KRX"),
    ({"stex_tp": "2", "stex_tp_txt": "NXT", "sor_yn": "N"}, "NXT"),
    ({}, ""),
])
def test_fill_rows_say_where_the_order_went(fields, venue):
    [fill] = protocol.parse_fills({"cntr": [dict(ROW, **fields)]})
    assert fill.exchange == venue


@pytest.mark.parametrize("fields", [{"stex_tp": "9"}, {"stex_tp": "1", "sor_yn": "X"}])
def test_an_unknown_venue_is_a_protocol_error(fields):
    with pytest.raises(ProtocolError, match="venue"):
        protocol.parse_fills({"cntr": [dict(ROW, **fields)]})


def test_stock_info_reads_nxt_enable():
    assert protocol.parse_stock_info({"code": "005930", "nxtEnable": "Y"}) is True
    assert protocol.parse_stock_info({"code": "005930", "nxtEnable": "N"}) is False
    for bad in ({"code": "005930"}, {"nxtEnable": "maybe"}):
        with pytest.raises(ProtocolError):
            protocol.parse_stock_info(bad)


TOTALS = AccountTotals(0, 0, 0, 0.0, 0)


def holding(code: str, qty: int, price: int = 100) -> Holding:
    return Holding(code, "", qty, qty, price, price, qty * price, qty * price, 0, 0.0)


def test_balances_merge_by_code_without_double_counting():
    krx = Balance(TOTALS, (holding("005930", 3, 100), holding("000660", 1)))
    nxt = Balance(TOTALS, (holding("005930", 3, 105), holding("035420", 2)))
    merged = merge_balances(nxt, krx, ("NXT", "KRX"))
    assert [(h.code, h.qty, h.current_price) for h in merged.holdings] == [
        ("005930", 3, 105), ("035420", 2, 100), ("000660", 1, 100)]


def test_balances_that_disagree_are_an_error_not_a_guess():
    with pytest.raises(ProtocolError, match="disagree on 005930"):
        merge_balances(Balance(TOTALS, (holding("005930", 3),)), Balance(TOTALS, (holding("005930", 5),)),
                       ("KRX", "NXT"))


def test_open_orders_of_every_venue_come_back_with_their_venue(tmp_path):
    with running_sim() as sim:
        with rest_client(sim, tmp_path / "tokens") as rest:
            lower = rest.quote("005930").lower_limit
            for venue in ("KRX", "NXT", "SOR"):
                rest.exchange = venue
                rest.buy("005930", 1, lower)
            assert sorted(o.exchange for o in rest.open_orders()) == ["KRX", "NXT", "SOR"]
            assert rest.stock_info("005930") is True and rest.stock_info("002630") is False
