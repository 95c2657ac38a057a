"""Encode the exchange's domain views into Kiwoom REST response bodies (docs/protocol.md, Answers: value encodings we read).

Every value is a string. Shapes (key sets) mirror the official examples in
tests/fixtures/kiwoom/rest/. Number encodings per TR:
- kt00018 / kt00001 amounts and quantities: 15 wide, zero-padded, sign inside the width;
  kt00018 cur_prc / pred_close_pric 12 wide, unsigned.
- quote prices: direction sign against the base price (+ above, - below, none when equal);
  the upper limit always "+", the lower limit always "-".
- ka10075 / ka10076: unpadded; trde_tp as text; io_tp_nm "+매수" / "-매도".
This module knows Kiwoom's field names; the exchange does not.
"""

from __future__ import annotations

import datetime as dt

from kiwoom_cli import market
from kiwoom_cli.sim.domain import InstrumentView

OK_MSG = "정상적으로 처리되었습니다"
QUERY_MSG = "조회가 완료되었습니다"
LIST_QUERY_MSG = " 조회가 완료되었습니다."  # ka10075/ka10076 examples carry a leading space

# trde_tp code -> the text ka10075/ka10076 show (assumed equal to FID 906, ~).
TRDE_TP_TEXT = {
    "0": "보통", "3": "시장가", "5": "조건부지정가", "6": "최유리지정가", "7": "최우선지정가",
    "10": "보통(IOC)", "13": "시장가(IOC)", "16": "최유리(IOC)", "20": "보통(FOK)",
    "23": "시장가(FOK)", "26": "최유리(FOK)", "28": "스톱지정가", "29": "중간가",
    "30": "중간가(IOC)", "31": "중간가(FOK)", "61": "장전시간외", "62": "시간외단일가",
    "81": "장후시간외",
}


# --------------------------------------------------------------------------- value encoders


def pad(value: int, width: int) -> str:
    """Zero-pad an integer with the sign inside the width: pad(-84, 15) -> "-00000000000084"."""
    if value < 0:
        return "-" + str(-value).zfill(width - 1)
    return str(value).zfill(width)


def signed(value: int) -> str:
    """Real sign on a change: "+50", "-50", "0"."""
    return f"+{value}" if value > 0 else str(value)


def rate(value: float, plus: bool = True) -> str:
    """A percentage with 2 decimals; "+" on positives when `plus` (quote TRs), never on zero."""
    text = f"{value:.2f}"
    if text in ("-0.00", "0.00"):
        return "0.00"
    return f"+{text}" if plus and value > 0 else text


def direction(price: int, base: int) -> str:
    """Direction-signed price: + above the base, - below, bare when equal; "0" for no price."""
    if price == 0:
        return "0"
    if price > base:
        return f"+{price}"
    if price < base:
        return f"-{price}"
    return str(price)


def sign_code(inst: InstrumentView) -> str:
    """대비기호: 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down."""
    if inst.price >= inst.upper_limit:
        return "1"
    if inst.price <= inst.lower_limit:
        return "4"
    if inst.price > inst.base_price:
        return "2"
    if inst.price < inst.base_price:
        return "5"
    return "3"


def hhmmss(when: dt.datetime | None) -> str:
    return when.strftime("%H%M%S") if when else ""


def millions(amount: int) -> str:
    """Turnover in 백만원 units (the official samples' magnitude suggests it, ~)."""
    return str(amount // 1_000_000)


def book(inst: InstrumentView, depth: int) -> tuple[list[int], list[int]]:
    """Ask and bid ladders `depth` deep from the best prices, 0 beyond the daily limits.

    The exchange models only the best prices; deeper levels are one tick apart (synthetic).
    """
    asks, bids = [], []
    ask, bid = inst.best_ask, inst.best_bid
    for _ in range(depth):
        asks.append(ask if 0 < ask <= inst.upper_limit else 0)
        bids.append(bid if inst.lower_limit <= bid and bid > 0 else 0)
        ask = market.add_ticks(ask, 1) if ask else 0
        bid = market.add_ticks(bid, -1) if bid else 0
    return asks, bids


# --------------------------------------------------------------------------- envelope


def ok(body: dict, msg: str = OK_MSG) -> dict:
    """Add the success envelope."""
    body["return_code"] = 0
    body["return_msg"] = msg
    return body


def error(return_code: int, return_msg: str) -> dict:
    return {"return_code": return_code, "return_msg": return_msg}


# --------------------------------------------------------------------------- auth


def token_body(token: str, expires_at: dt.datetime) -> dict:
    """au10001 success: expires_dt YYYYMMDDHHMMSS KST, token_type "bearer" (GUIDE example)."""
    return ok({"expires_dt": expires_at.strftime("%Y%m%d%H%M%S"), "token_type": "bearer", "token": token})


# --------------------------------------------------------------------------- quotes


def ka10001(inst: InstrumentView) -> dict:
    """주식기본정보 (key set of the official example; its values are garbled, so ours are computed)."""
    b = inst.base_price
    return ok({
        "stk_cd": inst.code, "stk_nm": inst.name, "setl_mm": "12", "fav": "100", "cap": "0",
        "flo_stk": "0", "crd_rt": "0.00", "oyr_hgst": direction(inst.upper_limit, b),
        "oyr_lwst": direction(inst.lower_limit, b), "mac": "0", "mac_wght": "", "for_exh_rt": "0.00",
        "repl_pric": str(b * 7 // 10), "per": "", "eps": "", "roe": "", "pbr": "", "ev": "", "bps": "",
        "sale_amt": "0", "bus_pro": "0", "cup_nga": "0",
        "250hgst": direction(inst.upper_limit, b), "250lwst": direction(inst.lower_limit, b),
        "high_pric": direction(inst.high, b), "open_pric": direction(inst.open, b),
        "low_pric": direction(inst.low, b), "upl_pric": f"+{inst.upper_limit}",
        "lst_pric": f"-{inst.lower_limit}", "base_pric": str(b), "exp_cntr_pric": "0",
        "exp_cntr_qty": "0", "250hgst_pric_dt": "", "250hgst_pric_pre_rt": "0.00",
        "250lwst_pric_dt": "", "250lwst_pric_pre_rt": "0.00", "cur_prc": direction(inst.price, b),
        "pre_sig": sign_code(inst), "pred_pre": signed(inst.change), "flu_rt": rate(inst.change_pct),
        "trde_qty": str(inst.volume), "trde_pre": rate(_volume_ratio(inst)), "fav_unit": "0",
        "dstr_stk": "0", "dstr_rt": "0.0",  # spec: a rate with one decimal
    })


def _volume_ratio(inst: InstrumentView) -> float:
    return inst.volume / inst.prev_volume * 100 if inst.prev_volume else 0.0


def ka10007(inst: InstrumentView, now: dt.datetime) -> dict:
    """시세표성정보: quote, limits and a 10-level book (quantities are not modelled: "0")."""
    b = inst.base_price
    asks, bids = book(inst, 10)
    body = {
        "stk_nm": inst.name, "stk_cd": inst.code, "date": now.strftime("%Y%m%d"),
        "tm": now.strftime("%H%M%S"), "pred_close_pric": str(b), "pred_trde_qty": str(inst.prev_volume),
        "upl_pric": f"+{inst.upper_limit}", "lst_pric": f"-{inst.lower_limit}",
        "pred_trde_prica": "0", "flo_stkcnt": "0", "cur_prc": direction(inst.price, b),
        "smbol": sign_code(inst), "flu_rt": rate(inst.change_pct), "pred_rt": rate(_volume_ratio(inst)),
        "open_pric": direction(inst.open, b), "high_pric": direction(inst.high, b),
        "low_pric": direction(inst.low, b), "cntr_qty": "", "trde_qty": str(inst.volume),
        "trde_prica": millions(inst.turnover), "exp_cntr_pric": "-0", "exp_cntr_qty": "0",
        "exp_sel_pri_bid": "0", "exp_buy_pri_bid": "0", "trde_strt_dt": "00000000", "exec_pric": "0",
        "hgst_pric": "", "lwst_pric": "", "hgst_pric_dt": "", "lwst_pric_dt": "",
    }
    for i in range(10):
        body[f"sel_{i + 1}bid"] = direction(asks[i], b)
    for i in range(10):
        body[f"buy_{i + 1}bid"] = direction(bids[i], b)
    for prefix in ("sel_{}bid_req", "buy_{}bid_req", "sel_{}bid_jub_pre", "buy_{}bid_jub_pre"):
        for i in range(10):
            body[prefix.format(i + 1)] = "0"
    for prefix in ("sel_{}bid_cnt", "buy_{}bid_cnt"):
        for i in range(5):
            body[prefix.format(i + 1)] = ""
    for prefix in ("lpsel_{}bid_req", "lpbuy_{}bid_req"):
        for i in range(10):
            body[prefix.format(i + 1)] = "0"
    body.update({"tot_buy_req": "0", "tot_sel_req": "0", "tot_buy_cnt": "", "tot_sel_cnt": "0"})
    return ok(body)


KA10095_KEYS = (
    "stk_cd", "stk_nm", "cur_prc", "base_pric", "pred_pre", "pred_pre_sig", "flu_rt", "trde_qty",
    "trde_prica", "cntr_qty", "cntr_str", "pred_trde_qty_pre", "sel_bid", "buy_bid",
    *(f"sel_{i}th_bid" for i in range(1, 6)), *(f"buy_{i}th_bid" for i in range(1, 6)),
    "upl_pric", "lst_pric", "open_pric", "high_pric", "low_pric", "close_pric", "cntr_tm",
    "exp_cntr_pric", "exp_cntr_qty", "cap", "fav", "mac", "stkcnt", "bid_tm", "dt", "pri_sel_req",
    "pri_buy_req", "pri_sel_cnt", "pri_buy_cnt", "tot_sel_req", "tot_buy_req", "tot_sel_cnt",
    "tot_buy_cnt", "prty", "gear", "pl_qutr", "cap_support", "elwexec_pric", "cnvt_rt",
    "elwexpr_dt", "cntr_engg", "cntr_pred_pre", "theory_pric", "innr_vltl", "delta", "gam",
    "theta", "vega", "law",
)


def ka10095_row(inst: InstrumentView, now: dt.datetime) -> dict:
    """One 관심종목 row (atn_stk_infr[])."""
    b = inst.base_price
    asks, bids = book(inst, 5)
    row = dict.fromkeys(KA10095_KEYS, "")
    row.update({
        "stk_cd": inst.code, "stk_nm": inst.name, "cur_prc": direction(inst.price, b),
        "base_pric": str(b), "pred_pre": signed(inst.change), "pred_pre_sig": sign_code(inst),
        "flu_rt": rate(inst.change_pct), "trde_qty": str(inst.volume),
        "trde_prica": millions(inst.turnover), "cntr_qty": "0", "cntr_str": "0.00",
        "pred_trde_qty_pre": rate(_volume_ratio(inst)), "sel_bid": direction(inst.best_ask, b),
        "buy_bid": direction(inst.best_bid, b), "upl_pric": f"+{inst.upper_limit}",
        "lst_pric": f"-{inst.lower_limit}", "open_pric": direction(inst.open, b),
        "high_pric": direction(inst.high, b), "low_pric": direction(inst.low, b),
        "close_pric": direction(inst.price, b), "cntr_tm": hhmmss(inst.last_trade_time),
        "exp_cntr_pric": "0", "exp_cntr_qty": "0", "cap": "0", "fav": "100", "mac": "0",
        "stkcnt": "0", "bid_tm": now.strftime("%H%M%S"), "dt": now.strftime("%Y%m%d"),
        "pri_sel_req": "0", "pri_buy_req": "0", "tot_sel_req": "0", "tot_buy_req": "0", "tot_sel_cnt": "0",
        "prty": "0.00", "gear": "0.00", "pl_qutr": "0.00", "cap_support": "0.00",
        "elwexec_pric": "0", "cnvt_rt": "0.0000", "elwexpr_dt": "00000000",
    })
    for i in range(5):
        row[f"sel_{i + 1}th_bid"] = direction(asks[i], b)
        row[f"buy_{i + 1}th_bid"] = direction(bids[i], b)
    return row


def ka10095_unknown_row() -> dict:
    """An unknown code comes back as a row of empty values, not an error (unverified)."""
    return dict.fromkeys(KA10095_KEYS, "")


def ka10095(rows: list[dict]) -> dict:
    return ok({"atn_stk_infr": rows})


def ka10100(inst: InstrumentView, on_nxt: bool) -> dict:
    """종목정보 조회: camelCase keys as in the official example; lastPrice 8 wide, listCount 16."""
    return ok({
        "code": inst.code, "name": inst.name, "listCount": pad(0, 16), "auditInfo": "정상",
        "regDay": "", "lastPrice": pad(inst.base_price, 8), "state": "", "marketCode":
        "0" if inst.market == "KOSPI" else "10", "marketName": "거래소" if inst.market == "KOSPI" else "코스닥",
        "upName": "", "upSizeName": "", "companyClassName": "", "orderWarning": "0",
        "nxtEnable": "Y" if on_nxt else "N",
    })
