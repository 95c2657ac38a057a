"""Facts from Kiwoom's API specification, written as our own tables (see docs/protocol.md).

Per field: name, required or not, the spec's type and length, and how the value is formed
(`rule`, our short names below). Only facts are recorded here, no text from the specification.
Messages the specification does not list (LOGIN, PING) are marked `verified=False`: they are
taken from Kiwoom's own client and our captured fixtures.

Rules (values): "digits" unsigned whole number; "num" whole number, may carry a + or - sign;
"pad" zero-padded to the full length with any sign inside the width; "dec1"/"dec2"/"dec4"
decimal with that many places, may be signed; "date" YYYYMMDD; "time" HHMMSS; "code" a bare
6-character stock code; "vcode" a code that may carry _NX/_AL; "pcode" a letter prefix + 6
digits (A005930); "ordno" a 7-digit order number; "bearer" "Bearer " + token.
"""

from __future__ import annotations

from typing import NamedTuple


class F(NamedTuple):
    """One request field: `allowed` lists the only values the spec names (empty: any)."""

    name: str
    required: bool
    length: int | None = None
    rule: str = ""
    allowed: tuple[str, ...] = ()
    type: str = "String"


class Answer(NamedTuple):
    """One answer field: the spec's length (None: not given) and how the value is formed."""

    length: int | None
    rule: str = ""


def _answers(text: str, **lists: dict) -> dict:
    """Parse "name:length:rule name::rule ..." into {name: Answer}; keyword args are list fields."""
    fields: dict = {}
    for token in text.split():
        name, length, rule = (token.split(":") + ["", ""])[:3]
        fields[name] = Answer(int(length) if length else None, rule)
    fields.update(lists)
    return fields


# --------------------------------------------------------------------------- REST

CONTENT_TYPE = "application/json;charset=UTF-8"
HOSTS = {"real": "https://api.kiwoom.com", "mock": "https://mockapi.kiwoom.com"}

PATHS = {
    "au10001": "/oauth2/token", "au10002": "/oauth2/revoke",
    "ka10001": "/api/dostk/stkinfo", "ka10095": "/api/dostk/stkinfo", "ka10100": "/api/dostk/stkinfo",
    "ka10007": "/api/dostk/mrkcond",
    "ka10075": "/api/dostk/acnt", "ka10076": "/api/dostk/acnt", "kt00001": "/api/dostk/acnt",
    "kt00018": "/api/dostk/acnt", "kt10000": "/api/dostk/ordr", "kt10001": "/api/dostk/ordr",
    "kt10002": "/api/dostk/ordr", "kt10003": "/api/dostk/ordr",
}

# The same header table is printed for every api-id, au10001/au10002 included; a token cannot be
# had before au10001, and Kiwoom's own client sends neither authorization nor api-id there.
REQUEST_HEADERS = (
    F("api-id", True, 10),
    F("authorization", True, 1000, "bearer"),
    F("cont-yn", False, 1, allowed=("Y",)),
    F("next-key", False, 50),
)
RESPONSE_HEADERS = {"api-id": Answer(10), "cont-yn": Answer(1), "next-key": Answer(50)}
NO_TOKEN = frozenset({"au10001", "au10002"})  # sent without authorization (see above)

# Every example answer carries these next to the fields; the field lists do not name them.
ENVELOPE = frozenset({"return_code", "return_msg"})

EXCHANGES_ORDER = ("KRX", "NXT", "SOR")  # kt10000-kt10003 dmst_stex_tp
EXCHANGES_BALANCE = ("KRX", "NXT")  # kt00018 dmst_stex_tp (no SOR)
EXCHANGES_QUERY = ("0", "1", "2")  # ka10075/ka10076 stex_tp: 0 combined, 1 KRX, 2 NXT
ORDER_TYPES = tuple("0 3 5 81 61 62 6 7 10 13 16 20 23 26 28 29 30 31".split())  # trde_tp

_ORDER = (
    F("dmst_stex_tp", True, 3, allowed=EXCHANGES_ORDER),
    F("stk_cd", True, 12, "code"),
    F("ord_qty", True, 12, "digits"),
    F("ord_uv", False, 12, "digits"),
    F("trde_tp", True, 2, allowed=ORDER_TYPES),
    F("cond_uv", False, 12, "digits"),
)

REQUEST = {
    "au10001": (F("grant_type", True, allowed=("client_credentials",)), F("appkey", True),
                F("secretkey", True)),
    "au10002": (F("appkey", True), F("secretkey", True), F("token", True)),
    "ka10001": (F("stk_cd", True, 20, "vcode"),),
    "ka10007": (F("stk_cd", True, 20, "vcode"),),
    # "|"-separated codes; the printed length 20 holds only 2 codes (see KNOWN_CONFLICTS)
    "ka10095": (F("stk_cd", True, 20, "codes"),),
    "ka10100": (F("stk_cd", True, 6, "code"),),
    "ka10075": (F("all_stk_tp", True, 1, allowed=("0", "1")), F("trde_tp", True, 1, allowed=("0", "1", "2")),
                F("stk_cd", False, 6, "code"), F("stex_tp", True, 1, allowed=EXCHANGES_QUERY)),
    "ka10076": (F("stk_cd", False, 6, "code"), F("qry_tp", True, 1, allowed=("0", "1")),
                F("sell_tp", True, 1, allowed=("0", "1", "2")), F("ord_no", False, 10, "digits"),
                F("stex_tp", True, 1, allowed=EXCHANGES_QUERY)),
    "kt00001": (F("qry_tp", True, 1, allowed=("2", "3")),),
    "kt00018": (F("qry_tp", True, 1, allowed=("1", "2")), F("dmst_stex_tp", True, 6, allowed=EXCHANGES_BALANCE)),
    "kt10000": _ORDER,
    "kt10001": _ORDER,
    "kt10002": (F("dmst_stex_tp", True, 3, allowed=EXCHANGES_ORDER), F("orig_ord_no", True, 7, "ordno"),
                F("stk_cd", True, 12, "code"), F("mdfy_qty", True, 12, "digits"),
                F("mdfy_uv", True, 12, "digits"), F("mdfy_cond_uv", False, 12, "digits")),
    "kt10003": (F("dmst_stex_tp", True, 3, allowed=EXCHANGES_ORDER), F("orig_ord_no", True, 7, "ordno"),
                F("stk_cd", True, 12, "code"), F("cncl_qty", True, 12, "digits")),
}

_ORDER_ACK = "ord_no:7:ordno dmst_stex_tp:6"

RESPONSE = {
    "au10001": _answers("expires_dt::date14 token_type: token:"),  # date14: from the example
    "au10002": _answers(""),
    "ka10001": _answers(
        "stk_cd:20 stk_nm:40 setl_mm:20 fav:20:num cap:20:num flo_stk:20:num crd_rt:20:dec2 "
        "oyr_hgst:20:num oyr_lwst:20:num mac:20:num mac_wght:20 for_exh_rt:20:dec2 repl_pric:20:num "
        "per:20 eps:20 roe:20 pbr:20 ev:20 bps:20 sale_amt:20:num bus_pro:20:num cup_nga:20:num "
        "250hgst:20:num 250lwst:20:num high_pric:20:num open_pric:20:num low_pric:20:num "
        "upl_pric:20:num lst_pric:20:num base_pric:20:num exp_cntr_pric:20 exp_cntr_qty:20 "
        "250hgst_pric_dt:20:date 250hgst_pric_pre_rt:20:dec2 250lwst_pric_dt:20:date "
        "250lwst_pric_pre_rt:20:dec2 cur_prc:20:num pre_sig:20 pred_pre:20:num flu_rt:20:dec2 "
        "trde_qty:20:num trde_pre:20:dec2 fav_unit:20 dstr_stk:20:num dstr_rt:20:dec1"),
    "ka10007": _answers(
        "stk_nm:40 stk_cd:6 date:20:date tm:20:time pred_close_pric:20:num pred_trde_qty:20:num "
        "upl_pric:20:num lst_pric:20:num pred_trde_prica:20:num flo_stkcnt:20:num cur_prc:20:num "
        "smbol:20 flu_rt:20:dec2 pred_rt:20:dec2 open_pric:20:num high_pric:20:num low_pric:20:num "
        "cntr_qty:20:num trde_qty:20:num trde_prica:20:num exp_cntr_pric:20:num exp_cntr_qty:20:num "
        "exp_sel_pri_bid:20:num exp_buy_pri_bid:20:num trde_strt_dt:20:date exec_pric:20:num "
        "hgst_pric:20:num lwst_pric:20:num hgst_pric_dt:20:date lwst_pric_dt:20:date "
        + " ".join(f"{side}_{n}bid:20:num {side}_{n}bid_req:20:num {side}_{n}bid_jub_pre:20:num "
                   f"lp{side}_{n}bid_req:20:num" for side in ("sel", "buy") for n in range(1, 11))
        + " " + " ".join(f"{side}_{n}bid_cnt:20" for side in ("sel", "buy") for n in range(1, 6))
        + " tot_buy_req:20:num tot_sel_req:20:num tot_buy_cnt:20 tot_sel_cnt:20"),
    "ka10095": _answers("", atn_stk_infr=_answers(
        "stk_cd:20 stk_nm:40 cur_prc:20:num base_pric:20:num pred_pre:20:num pred_pre_sig:20 "
        "flu_rt:20:dec2 trde_qty:20:num trde_prica:20:num cntr_qty:20:num cntr_str:20:dec2 "
        "pred_trde_qty_pre:20 sel_bid:20:num buy_bid:20:num "
        + " ".join(f"{side}_{n}th_bid:20:num" for side in ("sel", "buy") for n in range(1, 6))
        + " upl_pric:20:num lst_pric:20:num open_pric:20:num high_pric:20:num low_pric:20:num "
        "close_pric:20:num cntr_tm:20:time exp_cntr_pric:20:num exp_cntr_qty:20:num cap:20:num "
        "fav:20:num mac:20:num stkcnt:20:num bid_tm:20:time dt:20:date pri_sel_req:20:num "
        "pri_buy_req:20:num pri_sel_cnt:20 pri_buy_cnt:20 tot_sel_req:20:num tot_buy_req:20:num "
        "tot_sel_cnt:20 tot_buy_cnt:20 prty:20:dec2 gear:20:dec2 pl_qutr:20:dec2 cap_support:20:dec2 "
        "elwexec_pric:20:num cnvt_rt:20:dec4 elwexpr_dt:20:date cntr_engg:20 cntr_pred_pre:20 "
        "theory_pric:20 innr_vltl:20 delta:20 gam:20 theta:20 vega:20 law:20")),
    "ka10100": _answers(
        "code: name:40 listCount:16:pad auditInfo: regDay:8:date lastPrice:8:pad state: marketCode: "
        "marketName: upName: upSizeName: companyClassName: orderWarning: nxtEnable:"),  # nxtEnable Y/N
    "ka10075": _answers("", oso=_answers(
        "acnt_no:20 ord_no:20:ordno mang_empno:20 stk_cd:20 tsk_tp:20 ord_stt:20 stk_nm:40 "
        "ord_qty:20:num ord_pric:20:num oso_qty:20:num cntr_tot_amt:20:num orig_ord_no:20:ordno "
        "io_tp_nm:20 trde_tp:20 tm:20:time cntr_no:20 cntr_pric:20:num cntr_qty:20:num cur_prc:20 "
        "sel_bid:20:num buy_bid:20:num unit_cntr_pric:20:num unit_cntr_qty:20:num "
        "tdy_trde_cmsn:20:num tdy_trde_tax:20:num ind_invsr:20 stex_tp:20 stex_tp_txt:20 sor_yn:20 "
        "stop_pric:20")),
    "ka10076": _answers("", cntr=_answers(
        "ord_no:20:ordno stk_nm:40 io_tp_nm:20 ord_pric:20:num ord_qty:20:num cntr_pric:20:num "
        "cntr_qty:20:num oso_qty:20:num tdy_trde_cmsn:20:num tdy_trde_tax:20:num ord_stt:20 "
        "trde_tp:20 orig_ord_no:20:ordno ord_tm:20:time stk_cd:20 stex_tp:20 stex_tp_txt:20 "
        "sor_yn:20 stop_pric:20")),
    "kt00001": _answers(
        "entr profa_ch bncr_profa_ch nxdy_bncr_sell_exct fc_stk_krw_repl_set_amt crd_grnta_ch "
        "crd_grnt_ch add_grnt_ch etc_profa uncl_stk_amt shrts_prica crd_set_grnta chck_ina_amt "
        "etc_chck_ina_amt crd_grnt_ruse knx_asset_evltv elwdpst_evlta crd_ls_rght_frcs_amt "
        "lvlh_join_amt lvlh_trns_alowa repl_amt remn_repl_evlta trst_remn_repl_evlta "
        "bncr_remn_repl_evlta profa_repl crd_grnta_repl crd_grnt_repl add_grnt_repl rght_repl_amt "
        "pymn_alow_amt wrap_pymn_alow_amt ord_alow_amt bncr_buy_alowa 20stk_ord_alow_amt "
        "30stk_ord_alow_amt 40stk_ord_alow_amt 100stk_ord_alow_amt ch_uncla ch_uncla_dlfe "
        "ch_uncla_tot crd_int_npay int_npay_amt_dlfe int_npay_amt_tot etc_loana etc_loana_dlfe "
        "etc_loan_tot nrpy_loan loan_sum ls_sum mdstrm_usfe min_ord_alow_yn loan_remn_evlt_amt "
        "dpst_grntl_remn sell_grntl_remn d1_entra d1_slby_exct_amt d1_buy_exct_amt d1_out_rep_mor "
        "d1_sel_exct_amt d1_pymn_alow_amt d2_entra d2_slby_exct_amt d2_buy_exct_amt d2_out_rep_mor "
        "d2_sel_exct_amt d2_pymn_alow_amt 50stk_ord_alow_amt 60stk_ord_alow_amt".replace(" ", ":15:pad ")
        + ":15:pad crd_grnt_rt:15:dec2",
        stk_entr_prst=_answers(
            "crnc_cd:3 " + "fx_entr fc_krw_repl_evlta fc_trst_profa pymn_alow_amt pymn_alow_amt_entr "
            "ord_alow_amt_entr fc_uncla fc_ch_uncla dly_amt d1_fx_entr d2_fx_entr d3_fx_entr "
            "d4_fx_entr".replace(" ", ":15:pad ") + ":15:pad")),
    "kt00018": _answers(
        "tot_pur_amt:15:pad tot_evlt_amt:15:pad tot_evlt_pl:15:pad tot_prft_rt:12:dec2 "
        "prsm_dpst_aset_amt:15:pad tot_loan_amt:15:pad tot_crd_loan_amt:15:pad tot_crd_ls_amt:15:pad",
        acnt_evlt_remn_indv_tot=_answers(
            "stk_cd:12:pcode stk_nm:40 evltv_prft:15:pad prft_rt:12:dec2 pur_pric:15:pad "
            "pred_close_pric:12:pad rmnd_qty:15:pad trde_able_qty:15:pad cur_prc:12:pad pred_buyq:15:pad "
            "pred_sellq:15:pad tdy_buyq:15:pad tdy_sellq:15:pad pur_amt:15:pad pur_cmsn:15:pad "
            "evlt_amt:15:pad sell_cmsn:15:pad tax:15:pad sum_cmsn:15 poss_rt:12:dec2 crd_tp:2 "
            "crd_tp_nm:4 crd_loan_dt:8:date")),
    "kt10000": _answers(_ORDER_ACK),
    "kt10001": _answers(_ORDER_ACK),
    "kt10002": _answers("ord_no:7:ordno base_orig_ord_no:7:ordno mdfy_qty:12:pad dmst_stex_tp:6"),
    "kt10003": _answers("ord_no:7:ordno base_orig_ord_no:7:ordno cncl_qty:12:pad"),
}

# --------------------------------------------------------------------------- WebSocket

WS_URL = {"real": "wss://api.kiwoom.com:10000/api/dostk/websocket",
          "mock": "wss://mockapi.kiwoom.com:10000/api/dostk/websocket"}


class Frame(NamedTuple):
    """A socket request: its fields, the spec's api-id for it (None: not in the spec)."""

    fields: tuple[F, ...]
    spec_id: str | None
    verified: bool = True


# data: required left blank in the spec; rows of {"item": [..], "type": [..]}, see REG_ROW
_REG_DATA = F("data", False, type="LIST")

FRAMES = {
    "LOGIN": Frame((F("trnm", True, allowed=("LOGIN",)), F("token", True, rule="bare")), None, False),
    "REG": Frame((F("trnm", True, 10, allowed=("REG",)), F("grp_no", True, 4, "digits"),
                  F("refresh", True, 1, allowed=("0", "1")), _REG_DATA), "00"),
    # the spec marks refresh required but says REMOVE needs no value; Kiwoom's client omits it
    "REMOVE": Frame((F("trnm", True, 10, allowed=("REMOVE",)), F("grp_no", True, 4, "digits"),
                     _REG_DATA), "00"),
    "CNSRLST": Frame((F("trnm", True, 7, allowed=("CNSRLST",)),), "ka10171"),
    "CNSRREQ/0": Frame((F("trnm", True, 7, allowed=("CNSRREQ",)), F("seq", True, 3),
                        F("search_type", True, allowed=("0",)), F("stex_tp", True, 1, allowed=("K",)),
                        F("cont_yn", False, 1, allowed=("Y", "N")), F("next_key", False, 20)), "ka10172"),
    "CNSRREQ/1": Frame((F("trnm", True, 7, allowed=("CNSRREQ",)), F("seq", True, 3),
                        F("search_type", True, 1, allowed=("1",)), F("stex_tp", True, 1, allowed=("K",))),
                       "ka10173"),
    "CNSRCLR": Frame((F("trnm", True, 7, allowed=("CNSRCLR",)), F("seq", True)), "ka10174"),
}
# One REG/REMOVE data row. The spec's type column says String; its example, Kiwoom's client and
# the captures send lists of strings, each within the length.
REG_ROW = (F("item", False, 100, type="LIST"), F("type", True, 2, type="LIST"))
REAL_TYPES = ("00", "04", "0B", "02")

# Replies: top-level fields, list rows under "data".
REPLIES = {
    "LOGIN": _answers("trnm: return_code: return_msg: sor_yn:"),  # verified=False: captures only
    "PING": _answers("trnm:"),  # verified=False: echoed as received, extra keys included
    "REG": _answers("trnm: return_code: return_msg:"),
    "REMOVE": _answers("trnm: return_code: return_msg:"),
    "CNSRLST": _answers("trnm:7 return_code: return_msg:", data=_answers("seq: name:")),
    "CNSRREQ/0": _answers("trnm: return_code: return_msg: seq: cont_yn: next_key:", data=_answers(
        "9001::pcode 302: 10::pad9 25: 11::pad9 12::pad9 13::pad9 16::pad9 17::pad9 18::pad9")),
    "CNSRREQ/1": _answers("trnm: return_code: return_msg: seq:", data=_answers("jmcode::pcode")),
    "CNSRCLR": _answers("trnm: return_code: return_msg: seq:"),
}
UNVERIFIED_REPLIES = frozenset({"LOGIN", "PING"})  # not in the spec: captures and Kiwoom's client

# A REAL frame: {"trnm": "REAL", "data": [entry, ...]}; each entry has these keys.
# The spec types `values` as LIST; its examples, Kiwoom's client and the captures use an object.
REAL_ENTRY = frozenset({"type", "name", "item", "values"})

REAL_VALUES = {
    "00": _answers(
        "9201: 9203::ordno 9205: 9001: 912: 913: 302: 900::num 901::num 902::num 903::num "
        "904::ordno 905: 906: 907: 908::time 909: 910: 911: 10::num 27::num 28::num 914: 915: 938: "
        "939: 919: 920: 921: 922: 923: 10010: 2134: 2135: 2136:"),
    "04": _answers(
        "9201: 9001: 917: 916::date 302: 10::num 930::num 931::num 932::num 933::num 945::num 946: "
        "950: 951: 27::num 28::num 307::num 8019::dec2 957: 958: 918::date 990: 991: 992: 993: 959: 924:"),
    "0B": _answers(
        "20::time 10::num 11::num 12::dec2 27::num 28::num 15::num 13::num 14::num 16::num 17::num "
        "18::num 25: 26::num 29::num 30::dec2 31::dec2 32: 228::dec2 311: 290: 691: 567::time "
        "568::time 851: 1890: 1891: 1892: 1030: 1031: 1032: 1071: 1072: 1313: 1315: 1316: 1314: "
        "1497: 1498: 620: 732: 852: 9081:"),
    "02": _answers("841: 9001: 843: 20: 907:"),  # listed under ka10173
}
ORDER_STATUSES = ("접수", "체결", "확인", "취소", "거부")  # 00 FID 913
CONDITION_MARKERS = ("I", "D")  # 02 FID 843

# FID 12 of a CNSRREQ row: the 9-wide number is the rate x 1000 ("000001500" = +1.50 %); the
# official row 75,000 / -100 / "-00000130" is -0.13 %.
CNSRREQ_RATE_SCALE = 1000
OFFICIAL_CNSRREQ_ROW = {"10": "000075000", "11": "-00000100", "12": "-00000130"}

# The numbers of the spec's error table (gateway 15xx-19xx, authentication 80xx-82xx).
ERROR_NUMBERS = frozenset(
    "1501 1504 1505 1511 1512 1513 1514 1515 1516 1517 1687 1700 1701 1702 1901 1902 1903 1999 "
    "8001 8002 8003 8005 8006 8009 8010 8011 8012 8015 8016 8020 8030 8031 8040 8050 8103 8104 8200".split())
TOKEN_REFUSED = frozenset({"8005", "8031", "8103"})  # Kiwoom's client re-issues the token on these
RATE_LIMITED = frozenset({"1700", "1701", "1702"})

# Where the spec disagrees with itself or with what is sent, and what we do.
KNOWN_CONFLICTS = {
    "ka10095.stk_cd": "length 20 yet several codes may be joined by |; we send up to 100 (unverified)",
    "headers.authorization": "listed as required on au10001/au10002 too; sent only with a token",
    "REMOVE.refresh": "listed as required but described as not needed on REMOVE; not sent",
    "REG.data": "item/type typed String; sent as lists (spec example, Kiwoom's client, captures)",
    "REAL.values": "typed LIST; an object in every example and capture",
    "CNSRLST.data": "rows list seq and name; the example sends [seq, name] pairs",
}
