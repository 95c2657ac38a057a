"""REST parsers: Kiwoom response bodies -> kiwoom_cli.models (field names translated here).

Pure. Each parser takes the JSON body of one page whose envelope already passed
protocol.error_for; a missing or malformed field raises codec.ProtocolError naming it.
"""

from __future__ import annotations

import datetime as dt
import re

from kiwoom_cli.clock import KST
from kiwoom_cli.kiwoom import codec
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.kiwoom.wsparsers import *  # noqa: F401,F403  (re-exported through protocol)
from kiwoom_cli.kiwoom.wsparsers import __all__ as _ws_all
from kiwoom_cli.models import (
    AccountTotals,
    Cash,
    FillRow,
    Holding,
    OpenOrder,
    OrderAck,
    Quote,
    Side,
)

__all__ = [
    "parse_token",
    "parse_quote",
    "parse_basic_info",
    "parse_quotes",
    "parse_cash",
    "parse_balance_page",
    "parse_order_ack",
    "parse_open_orders",
    "parse_fills",
    "parse_stock_info",
    "side_from_text",
    *_ws_all,
]


_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")

def _field(body: dict, key: str, api_id: str):
    if key not in body:
        raise ProtocolError(f"{api_id}: answer lacks {key!r}", api_id=api_id)
    return body[key]


def _count(row: dict, key: str, api_id: str) -> int:
    """A quantity that decides whether a row counts at all: empty or null is malformed, never 0."""
    value = codec.int_or_none(_field(row, key, api_id), key)
    if value is None:
        raise ProtocolError(f"{api_id}: a row's {key} is empty", api_id=api_id)
    return value


def _rows(body: dict, key: str, api_id: str) -> list[dict]:
    # A missing list is a malformed answer, never "none": read as "no holdings" it would drop every
    # tracked position. An empty list that is present is a real none.
    rows = _field(body, key, api_id)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ProtocolError(f"{api_id}: {key!r} is not a list of rows", api_id=api_id)
    return rows


def parse_token(body: dict) -> tuple[str, dt.datetime]:
    """Return (token, expires_at in KST) from an au10001 answer (expires_dt is YYYYMMDDHHMMSS KST)."""
    token = body.get("token")  # the spec's field; no access_token fallback (docs/protocol.md)
    if not isinstance(token, str) or not token.strip():
        raise ProtocolError("au10001: answer has no token", api_id="au10001")
    if not _TOKEN.fullmatch(token.strip()):  # it goes into a header: printable ASCII, no space or CR/LF
        raise ProtocolError("au10001: the token is not printable ASCII", api_id="au10001")
    raw = body.get("expires_dt")
    try:
        expires = dt.datetime.strptime(str(raw).strip(), "%Y%m%d%H%M%S").replace(tzinfo=KST)
    except ValueError:
        raise ProtocolError("au10001: expires_dt is not YYYYMMDDHHMMSS", api_id="au10001") from None
    return token.strip(), expires


def parse_quote(body: dict) -> Quote:
    """Parse ka10007 시세표성정보: limits present; change = price - prior close (no pred_pre field)."""
    api = "ka10007"
    price = codec.price(_field(body, "cur_prc", api), "cur_prc")
    base = codec.price(_field(body, "pred_close_pric", api), "pred_close_pric")
    return Quote(
        code=codec.code(_field(body, "stk_cd", api)),
        name=codec.name(body.get("stk_nm")),
        price=price,
        change=price - base if price and base else 0,
        change_pct=codec.rate(body.get("flu_rt"), "flu_rt"),
        base_price=base,
        upper_limit=codec.price(_field(body, "upl_pric", api), "upl_pric"),
        lower_limit=codec.price(_field(body, "lst_pric", api), "lst_pric"),
        open=codec.price_or_none(body.get("open_pric"), "open_pric"),
        high=codec.price_or_none(body.get("high_pric"), "high_pric"),
        low=codec.price_or_none(body.get("low_pric"), "low_pric"),
        volume=codec.int_or_none(body.get("trde_qty"), "trde_qty"),
    )


def _quote_row(row: dict, api: str) -> Quote:
    return Quote(
        code=codec.code(_field(row, "stk_cd", api)),
        name=codec.name(row.get("stk_nm")),
        price=codec.price(_field(row, "cur_prc", api), "cur_prc"),
        change=codec.int_or_zero(row.get("pred_pre"), "pred_pre"),
        change_pct=codec.rate(row.get("flu_rt"), "flu_rt"),
        base_price=codec.price(_field(row, "base_pric", api), "base_pric"),
        upper_limit=codec.price(_field(row, "upl_pric", api), "upl_pric"),
        lower_limit=codec.price(_field(row, "lst_pric", api), "lst_pric"),
        open=codec.price_or_none(row.get("open_pric"), "open_pric"),
        high=codec.price_or_none(row.get("high_pric"), "high_pric"),
        low=codec.price_or_none(row.get("low_pric"), "low_pric"),
        volume=codec.int_or_none(row.get("trde_qty"), "trde_qty"),
    )


def parse_basic_info(body: dict) -> Quote:
    """Parse ka10001 주식기본정보 (the official example is garbled: it fails loudly, by design)."""
    return _quote_row(body, "ka10001")


def parse_quotes(body: dict) -> list[Quote]:
    """Parse ka10095 rows; rows with an empty stk_cd (an unknown code, ~) are left out."""
    rows = _rows(body, "atn_stk_infr", "ka10095")
    return [_quote_row(r, "ka10095") for r in rows if codec.name(r.get("stk_cd"))]


def parse_cash(body: dict) -> Cash:
    """Parse kt00001 예수금상세현황 (orderable = ord_alow_amt; which field the broker checks is unverified)."""
    api = "kt00001"
    deposit = codec.int_or_zero(_field(body, "entr", api), "entr")
    orderable = codec.int_or_none(_field(body, "ord_alow_amt", api), "ord_alow_amt")
    if orderable is None:  # what every buy is checked against: empty is malformed, never 0 won
        raise ProtocolError(f"{api}: ord_alow_amt is empty", api_id=api)
    return Cash(
        deposit=deposit,
        orderable=orderable,
        d2_deposit=codec.int_or_zero(body.get("d2_entra"), "d2_entra"),
    )


def parse_balance_page(body: dict) -> tuple[AccountTotals, list[Holding]]:
    """Parse one kt00018 page: the totals and its holdings (rows with 보유수량 0 dropped)."""
    api = "kt00018"
    totals = AccountTotals(
        purchase_amount=codec.int_or_zero(body.get("tot_pur_amt"), "tot_pur_amt"),
        eval_amount=codec.int_or_zero(body.get("tot_evlt_amt"), "tot_evlt_amt"),
        pnl=codec.int_or_zero(body.get("tot_evlt_pl"), "tot_evlt_pl"),
        return_pct=codec.rate(body.get("tot_prft_rt"), "tot_prft_rt"),
        estimated_assets=codec.int_or_zero(body.get("prsm_dpst_aset_amt"), "prsm_dpst_aset_amt"),
    )
    holdings = []
    for row in _rows(body, "acnt_evlt_remn_indv_tot", api):
        qty = _count(row, "rmnd_qty", api)
        if qty == 0:
            continue
        holdings.append(
            Holding(
                code=codec.code(_field(row, "stk_cd", api)),
                name=codec.name(row.get("stk_nm")),
                qty=qty,
                sellable_qty=codec.int_or_zero(_field(row, "trde_able_qty", api), "trde_able_qty"),
                avg_price=codec.price(_field(row, "pur_pric", api), "pur_pric"),
                current_price=codec.price(row.get("cur_prc"), "cur_prc"),
                purchase_amount=codec.int_or_zero(row.get("pur_amt"), "pur_amt"),
                eval_amount=codec.int_or_zero(row.get("evlt_amt"), "evlt_amt"),
                pnl=codec.int_or_zero(row.get("evltv_prft"), "evltv_prft"),
                return_pct=codec.rate(row.get("prft_rt"), "prft_rt"),
            )
        )
    return totals, holdings


def parse_order_ack(body: dict, api_id: str) -> OrderAck:
    """Parse kt10000-kt10003: the new order number and, for amend/cancel, the root order number."""
    number = codec.order_no(body.get("ord_no"))
    if number is None:
        raise ProtocolError(f"{api_id}: answer has no ord_no", api_id=api_id)
    if api_id not in ("kt10002", "kt10003"):  # base_orig_ord_no is only in amend/cancel answers
        return OrderAck(order_no=number, orig_order_no=None)
    return OrderAck(order_no=number, orig_order_no=codec.order_no(body.get("base_orig_ord_no")))


def side_from_text(text: object, field: str = "io_tp_nm") -> Side:
    """Read the side from 매수/매도 text ("+매수", "-매도정정", "현금매수"); the +/- is cosmetic."""
    value = text if isinstance(text, str) else ""
    if "매수" in value:
        return Side.BUY
    if "매도" in value:
        return Side.SELL
    raise ProtocolError(f"{field}: no side in {value[:20]!r}")


_VENUES = {"1": "KRX", "2": "NXT"}  # stex_tp; "0" (통합) with sor_yn "Y" is an SOR order


def venue(row: dict, api: str) -> str:
    """Read where an order row was placed from stex_tp / sor_yn; "" when the row does not say."""
    stex, sor = row.get("stex_tp"), row.get("sor_yn")
    if sor not in (None, "", "Y", "N") or stex not in (None, "", "0", *_VENUES):
        raise ProtocolError(f"{api}: unknown venue stex_tp={str(stex)[:4]!r} sor_yn={str(sor)[:4]!r}", api_id=api)
    if sor == "Y":
        return "SOR"
    return _VENUES.get(stex or "", "")


def parse_stock_info(body: dict) -> bool:
    """Parse ka10100 종목정보 조회: whether the stock trades on NXT (nxtEnable "Y")."""
    api = "ka10100"
    flag = _field(body, "nxtEnable", api)
    if not isinstance(flag, str) or flag.strip() not in ("Y", "N", ""):
        raise ProtocolError(f"{api}: nxtEnable is not Y or N", api_id=api)
    return flag.strip() == "Y"


def parse_open_orders(body: dict) -> list[OpenOrder]:
    """Parse one ka10075 page; rows with nothing left open (oso_qty 0) are dropped."""
    api = "ka10075"
    orders = []
    for row in _rows(body, "oso", api):
        remaining = _count(row, "oso_qty", api)
        if remaining == 0:
            continue
        number = codec.order_no(_field(row, "ord_no", api))
        if number is None:
            raise ProtocolError(f"{api}: row without ord_no", api_id=api)
        orders.append(
            OpenOrder(
                order_no=number,
                code=codec.code(_field(row, "stk_cd", api)),
                name=codec.name(row.get("stk_nm")),
                side=side_from_text(row.get("io_tp_nm")),
                qty=codec.int_or_zero(_field(row, "ord_qty", api), "ord_qty"),
                price=codec.price(row.get("ord_pric"), "ord_pric"),
                remaining_qty=remaining,
                order_type=codec.name(row.get("trde_tp")),
                time=codec.name(row.get("tm")),
                orig_order_no=codec.order_no(row.get("orig_ord_no")),
                exchange=venue(row, api),
            )
        )
    return orders


def parse_fills(body: dict) -> list[FillRow]:
    """Parse one ka10076 page (one row per order, newest first in the example)."""
    api = "ka10076"
    fills = []
    for row in _rows(body, "cntr", api):
        number = codec.order_no(_field(row, "ord_no", api))
        if number is None:
            raise ProtocolError(f"{api}: row without ord_no", api_id=api)
        fills.append(
            FillRow(
                order_no=number,
                code=codec.code(_field(row, "stk_cd", api)),
                name=codec.name(row.get("stk_nm")),
                side=side_from_text(row.get("io_tp_nm")),
                order_qty=codec.int_or_zero(_field(row, "ord_qty", api), "ord_qty"),
                order_price=codec.price(row.get("ord_pric"), "ord_pric"),
                filled_qty=codec.int_or_zero(_field(row, "cntr_qty", api), "cntr_qty"),
                fill_price=codec.price(row.get("cntr_pric"), "cntr_pric"),
                remaining_qty=codec.int_or_zero(row.get("oso_qty"), "oso_qty"),
                status=codec.name(row.get("ord_stt")),
                time=codec.name(row.get("ord_tm")),
                orig_order_no=codec.order_no(row.get("orig_ord_no")),
                exchange=venue(row, api),
            )
        )
    return fills
