"""Encode accounts and orders into Kiwoom REST bodies: kt00001, kt00018, kt10000-kt10003,
ka10075, ka10076 (docs/protocol.md, Answers: value encodings we read). Shared encoders live in wire_rest.py."""

from __future__ import annotations

import datetime as dt

from kiwoom_cli import market
from kiwoom_cli.sim.domain import AccountView, HoldingView, InstrumentView, OrderView
from kiwoom_cli.sim.wire_rest import (
    LIST_QUERY_MSG,
    QUERY_MSG,
    TRDE_TP_TEXT,
    direction,
    hhmmss,
    ok,
    pad,
    rate,
)

W15 = 15
W12 = 12

# --------------------------------------------------------------------------- kt00001

_KT00001_ZERO_KEYS = (
    "bncr_profa_ch", "nxdy_bncr_sell_exct", "fc_stk_krw_repl_set_amt", "crd_grnta_ch",
    "crd_grnt_ch", "add_grnt_ch", "etc_profa", "uncl_stk_amt", "shrts_prica", "crd_set_grnta",
    "chck_ina_amt", "etc_chck_ina_amt", "crd_grnt_ruse", "knx_asset_evltv", "elwdpst_evlta",
    "crd_ls_rght_frcs_amt", "lvlh_join_amt", "lvlh_trns_alowa", "repl_amt", "remn_repl_evlta",
    "trst_remn_repl_evlta", "bncr_remn_repl_evlta", "profa_repl", "crd_grnta_repl",
    "crd_grnt_repl", "add_grnt_repl", "rght_repl_amt", "wrap_pymn_alow_amt", "ch_uncla",
    "ch_uncla_dlfe", "ch_uncla_tot", "crd_int_npay", "int_npay_amt_dlfe", "int_npay_amt_tot",
    "etc_loana", "etc_loana_dlfe", "etc_loan_tot", "nrpy_loan", "loan_sum", "ls_sum",
    "mdstrm_usfe", "min_ord_alow_yn", "loan_remn_evlt_amt", "dpst_grntl_remn", "sell_grntl_remn",
    "d1_slby_exct_amt", "d1_buy_exct_amt", "d1_out_rep_mor", "d1_sel_exct_amt",
    "d2_slby_exct_amt", "d2_buy_exct_amt", "d2_out_rep_mor", "d2_sel_exct_amt",
)


def kt00001(acct: AccountView) -> dict:
    """예수금상세현황. The sim settles at once, so D+1/D+2 deposits equal the deposit and every
    orderable-cash field equals `orderable` (the three the client may read stay consistent)."""
    body = dict.fromkeys(_KT00001_ZERO_KEYS, pad(0, W15))
    orderable = pad(acct.orderable, W15)
    deposit = pad(acct.deposit, W15)
    body.update({
        "entr": deposit, "profa_ch": pad(0, W15), "pymn_alow_amt": orderable,
        "ord_alow_amt": orderable, "bncr_buy_alowa": orderable, "crd_grnt_rt": "0.00",
        "d1_entra": deposit, "d1_pymn_alow_amt": orderable, "d2_entra": deposit,
        "d2_pymn_alow_amt": orderable, "stk_entr_prst": [],
    })
    for pct in (20, 30, 40, 50, 60, 100):
        body[f"{pct}stk_ord_alow_amt"] = orderable
    return ok(body, QUERY_MSG)


# --------------------------------------------------------------------------- kt00018


def _holding_numbers(h: HoldingView, costs: market.CostRates) -> dict:
    evlt = h.qty * h.current_price
    sell_cmsn = costs.commission_on(evlt)
    tax = costs.tax_on(evlt)
    # P&L after every cost, as the official example computes it (tests/fixtures/kiwoom/rest/kt00018.response.json: -196888 on row 1).
    pl = evlt - h.purchase_amount - h.purchase_commission - sell_cmsn - tax
    return {"evlt": evlt, "sell_cmsn": sell_cmsn, "tax": tax, "pl": pl}


def kt00018_rows(acct: AccountView, now: dt.datetime) -> list[dict]:
    """All acnt_evlt_remn_indv_tot rows (closed positions, qty 0, are left out)."""
    costs = market.CostRates.for_date(now.date())
    held = [h for h in acct.holdings if h.qty > 0]
    total_evlt = sum(h.qty * h.current_price for h in held) or 1
    rows = []
    for h in held:
        n = _holding_numbers(h, costs)
        rows.append({
            "stk_cd": "A" + h.code, "stk_nm": h.name, "evltv_prft": pad(n["pl"], W15),
            "prft_rt": rate(n["pl"] / h.purchase_amount * 100 if h.purchase_amount else 0.0, plus=False),
            "pur_pric": pad(h.avg_price, W15), "pred_close_pric": pad(h.base_price, W12),
            "rmnd_qty": pad(h.qty, W15), "trde_able_qty": pad(h.sellable_qty, W15),
            "cur_prc": pad(h.current_price, W12), "pred_buyq": pad(0, W15), "pred_sellq": pad(0, W15),
            "tdy_buyq": pad(h.today_buy_qty, W15), "tdy_sellq": pad(h.today_sell_qty, W15),
            "pur_amt": pad(h.purchase_amount, W15), "pur_cmsn": pad(h.purchase_commission, W15),
            "evlt_amt": pad(n["evlt"], W15), "sell_cmsn": pad(n["sell_cmsn"], W15),
            "tax": pad(n["tax"], W15), "sum_cmsn": pad(h.purchase_commission + n["sell_cmsn"], W15),
            "poss_rt": rate(n["evlt"] / total_evlt * 100, plus=False), "crd_tp": "00",
            "crd_tp_nm": "", "crd_loan_dt": "",
        })
    return rows


def kt00018(acct: AccountView, now: dt.datetime, page_rows: list[dict]) -> dict:
    """계좌평가잔고내역: totals over the whole account, rows of one page."""
    costs = market.CostRates.for_date(now.date())
    pur = evlt = pl = 0
    for h in acct.holdings:
        if h.qty > 0:
            n = _holding_numbers(h, costs)
            pur += h.purchase_amount
            evlt += n["evlt"]
            pl += n["pl"]
    return ok({
        "tot_pur_amt": pad(pur, W15), "tot_evlt_amt": pad(evlt, W15), "tot_evlt_pl": pad(pl, W15),
        "tot_prft_rt": rate(pl / pur * 100 if pur else 0.0, plus=False),
        "prsm_dpst_aset_amt": pad(acct.deposit + evlt, W15), "tot_loan_amt": pad(0, W15),
        "tot_crd_loan_amt": pad(0, W15), "tot_crd_ls_amt": pad(0, W15),
        "acnt_evlt_remn_indv_tot": page_rows,
    }, QUERY_MSG)


# --------------------------------------------------------------------------- orders


def order_placed(order: OrderView) -> dict:
    """kt10000/kt10001: mock wording and 7-digit ord_no as captured on the mock server."""
    text = "매수" if order.side == "buy" else "매도"
    return ok({"ord_no": order.order_no, "dmst_stex_tp": order.venue}, f"모의투자 {text}주문완료")


def order_amended(order: OrderView, root_no: str) -> dict:
    """kt10002: new ord_no, base_orig_ord_no = the root order, mdfy_qty 12 wide."""
    text = "매수" if order.side == "buy" else "매도"
    return ok({"ord_no": order.order_no, "base_orig_ord_no": root_no,
               "mdfy_qty": pad(order.qty, W12), "dmst_stex_tp": order.venue},
              f"{text}정정 주문입력이 완료되었습니다")


def order_cancelled(order: OrderView, root_no: str) -> dict:
    """kt10003: like the example, no dmst_stex_tp; base_orig_ord_no reports the root order."""
    text = "매수" if order.side == "buy" else "매도"
    return ok({"ord_no": order.order_no, "base_orig_ord_no": root_no,
               "cncl_qty": pad(order.qty, W12)}, f"{text}취소 주문입력이 완료되었습니다")


# venue -> (stex_tp, stex_tp_txt, sor_yn); an SOR order shows stex_tp "0" as in the ka10076 example
VENUE_FIELDS = {"KRX": ("1", "KRX", "N"), "NXT": ("2", "NXT", "N"), "SOR": ("0", "SOR", "Y")}


def venue_fields(order: OrderView) -> dict:
    stex, text, sor = VENUE_FIELDS[order.venue]
    return {"stex_tp": stex, "stex_tp_txt": text, "sor_yn": sor}


def io_tp_nm(order: OrderView) -> str:
    """주문구분 text: +매수, -매도, +매수정정, -매도정정, 매수취소, 매도취소."""
    side = "매수" if order.side == "buy" else "매도"
    if order.kind == "cancel":
        return f"{side}취소"
    sign = "+" if order.side == "buy" else "-"
    return f"{sign}{side}정정" if order.kind == "amend" else f"{sign}{side}"


def ka10075_row(order: OrderView, inst: InstrumentView | None) -> dict:
    """One 미체결 row (oso[]), unpadded as in the official example."""
    b = inst.base_price if inst else 0
    avg = order.filled_amount // order.filled_qty if order.filled_qty else 0
    return {
        "acnt_no": order.account_no, "ord_no": order.order_no, "mang_empno": "",
        "stk_cd": order.code, "tsk_tp": "", "ord_stt": order.status, "stk_nm": order.name,
        "ord_qty": str(order.qty), "ord_pric": str(order.price), "oso_qty": str(order.remaining_qty),
        "cntr_tot_amt": str(order.filled_amount), "orig_ord_no": order.orig_order_no,
        "io_tp_nm": io_tp_nm(order), "trde_tp": TRDE_TP_TEXT.get(order.trde_tp, order.trde_tp),
        "tm": hhmmss(order.time), "cntr_no": "", "cntr_pric": str(avg),
        "cntr_qty": str(order.filled_qty),
        "cur_prc": direction(inst.price, b) if inst else "",
        "sel_bid": direction(inst.best_ask, b) if inst else "",
        "buy_bid": direction(inst.best_bid, b) if inst else "",
        "unit_cntr_pric": "", "unit_cntr_qty": "", "tdy_trde_cmsn": str(order.commission),
        "tdy_trde_tax": str(order.tax), "ind_invsr": "", **venue_fields(order), "stop_pric": "",
    }


def ka10076_row(order: OrderView) -> dict:
    """One 체결 row (cntr[]): one row per order with fills, as in the official example (~)."""
    avg = order.filled_amount // order.filled_qty if order.filled_qty else 0
    return {
        "ord_no": order.order_no, "stk_nm": order.name, "io_tp_nm": io_tp_nm(order),
        "ord_pric": str(order.price), "ord_qty": str(order.qty), "cntr_pric": str(avg),
        "cntr_qty": str(order.filled_qty), "oso_qty": str(order.remaining_qty),
        "tdy_trde_cmsn": str(order.commission), "tdy_trde_tax": str(order.tax), "ord_stt": "체결",
        "trde_tp": TRDE_TP_TEXT.get(order.trde_tp, order.trde_tp),
        "orig_ord_no": order.orig_order_no, "ord_tm": hhmmss(order.time), "stk_cd": order.code,
        **venue_fields(order), "stop_pric": "",
    }


def listing(key: str, rows: list[dict]) -> dict:
    """ka10075 (oso) / ka10076 (cntr) body."""
    return ok({key: rows}, LIST_QUERY_MSG)
