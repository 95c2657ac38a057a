"""Every shared Kiwoom payload fixture (tests/fixtures/kiwoom/) parsed into our models or errors.

These are real payloads (official examples and captures); a new fixture file without a test here
fails test_every_fixture_is_covered.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kiwoom_cli.clock import KST
from kiwoom_cli.errors import AuthError, BrokerRejected, RateLimited, TokenInvalid
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import (
    BalanceEvent,
    Condition,
    ConditionEvent,
    OrderAction,
    OrderEvent,
    OrderStatus,
    Side,
    Tick,
)
from tests.kit.helpers import FIXTURES, fixture


def load(path: str) -> dict:
    return fixture(path)


def body(path: str) -> dict:
    return load(path)["body"]


def status(path: str) -> int:
    return load(path)["http_status"] or 200


# --------------------------------------------------------------------------- REST


@pytest.mark.parametrize(
    "path, token, expires",
    [
        (
            "rest/au10001.response.json",
            "FAKEfakeFAKEfakeFAKEfakeFA...",
            dt.datetime(2024, 11, 7, 8, 37, 13, tzinfo=KST),
        ),
        (
            "rest/au10001.response.captured.json",
            "FAKE_tok-" * 9 + "FAKE_",
            dt.datetime(2025, 11, 9, 23, 54, 45, tzinfo=KST),
        ),
    ],
)
def test_token(path, token, expires):
    answer = body(path)
    assert protocol.error_for(answer, 200, "au10001") is None
    assert protocol.parse_token(answer) == (token[: len(answer["token"])], expires)
    assert protocol.parse_token(answer)[0] == answer["token"]


def test_ka10001_official_example_is_garbled_and_refused():
    """The official ka10001 example has values shifted ~12 fields (cur_prc "0.00", lst_pric "-47.41").

    A robust parser must not turn that into a price: it fails naming the field instead.
    """
    answer = body("rest/ka10001.response.json")
    assert protocol.error_for(answer, 200, "ka10001") is None
    with pytest.raises(ProtocolError, match="cur_prc"):
        protocol.parse_basic_info(answer)


def test_ka10001_clean_shape_parses():
    """Same keys with values in the documented encodings (3P#70118647525 base/upper) parse fine."""
    answer = dict(body("rest/ka10001.response.json"))
    answer.update(
        cur_prc="+72500",
        pred_pre="+500",
        flu_rt="+0.69",
        base_pric="72000",
        upl_pric="+93600",
        lst_pric="-50400",
        open_pric="-0",
        high_pric="+72600",
        low_pric="-71900",
        trde_qty="1234",
    )
    quote = protocol.parse_basic_info(answer)
    assert (quote.code, quote.price, quote.change, quote.base_price) == ("005930", 72500, 500, 72000)
    assert (quote.upper_limit, quote.lower_limit, quote.open, quote.high, quote.low) == (
        93600,
        50400,
        None,
        72600,
        71900,
    )


def test_ka10007_quote():
    quote = protocol.parse_quote(body("rest/ka10007.response.json"))
    assert quote.code == "005930" and quote.name == "삼성전자"
    assert (quote.price, quote.base_price, quote.change, quote.change_pct) == (135300, 135300, 0, 0.0)
    assert (quote.upper_limit, quote.lower_limit) == (175800, 94800)  # "+175800" / "-94800"
    assert (quote.open, quote.high, quote.low, quote.volume) == (None, None, None, 0)  # pre-open


def test_ka10095_quotes():
    [quote] = protocol.parse_quotes(body("rest/ka10095.response.json"))
    assert (quote.code, quote.name, quote.price) == ("005930", "삼성전자", 156600)
    assert (quote.change, quote.change_pct, quote.base_price) == (34900, pytest.approx(28.68), 121700)
    assert (quote.upper_limit, quote.lower_limit) == (158200, 85200)
    assert (quote.open, quote.high, quote.low, quote.volume) == (121700, 158200, 85200, 118636)


def test_ka10095_unknown_code_row_is_left_out():
    answer = {"atn_stk_infr": [{"stk_cd": "", "stk_nm": "", "cur_prc": ""}], "return_code": 0}
    assert protocol.parse_quotes(answer) == []


def test_ka10100_envelope_only():
    """ka10100 (stock info) is not used by the client; its envelope is still a success."""
    answer = body("rest/ka10100.response.json")
    assert protocol.error_for(answer, 200, "ka10100") is None
    assert answer["nxtEnable"] == "Y"


def test_kt00001_cash():
    cash = protocol.parse_cash(body("rest/kt00001.response.json"))
    assert (cash.deposit, cash.orderable, cash.d2_deposit) == (17534, 85341, 12550)


def test_kt00005_envelope_and_encodings():
    """kt00005 is not called by the client; check its 12-wide encodings decode with our codec."""
    from kiwoom_cli.kiwoom import codec

    answer = body("rest/kt00005.response.json")
    assert protocol.error_for(answer, 200, "kt00005") is None
    row = answer["stk_cntr_remn"][0]
    assert codec.code(row["stk_cd"]) == "005930"
    assert codec.int_or_zero(row["evltv_prft"]) == -163958
    assert codec.rate(row["pl_rt"]) == pytest.approx(-43.8977)


def test_kt00009_envelope_and_side_text():
    from kiwoom_cli.kiwoom import codec

    answer = body("rest/kt00009.response.json")
    assert protocol.error_for(answer, 200, "kt00009") is None
    row = answer["acnt_ord_cntr_prst_array"][0]
    assert protocol.side_from_text(row["io_tp_nm"]) is Side.BUY  # "현금매수", no +/- prefix
    assert codec.code(row["stk_cd"]) == "069500"
    assert codec.price(row["cntr_uv"]) == 4900


def test_kt00018_balance():
    totals, holdings = protocol.parse_balance_page(body("rest/kt00018.response.json"))
    assert totals.purchase_amount == 17598258
    assert (totals.eval_amount, totals.pnl, totals.return_pct) == (25789890, 8138825, pytest.approx(46.25))
    assert totals.estimated_assets == 1012632507
    first, second = holdings
    assert (first.code, first.name, first.qty, first.sellable_qty) == ("005930", "삼성전자", 3, 3)
    assert (first.avg_price, first.current_price, first.purchase_amount, first.eval_amount) == (
        124500,
        59000,
        373500,
        177000,
    )
    assert (first.pnl, first.return_pct) == (-196888, pytest.approx(-52.71))
    assert (second.qty, second.pnl, second.return_pct) == (8, -995004, pytest.approx(-59.46))


def test_kt00018_zero_quantity_rows_dropped():
    answer = body("rest/kt00018.response.json")
    rows = [dict(answer["acnt_evlt_remn_indv_tot"][0], rmnd_qty="000000000000000")]
    _, holdings = protocol.parse_balance_page(dict(answer, acnt_evlt_remn_indv_tot=rows))
    assert holdings == []


@pytest.mark.parametrize(
    "path, api_id, order_no, orig",
    [
        ("rest/kt10000.response.json", "kt10000", "00024", None),  # 5 digits in the official example
        ("rest/kt10000.response.mock-captured.json", "kt10000", "0157630", None),
        ("rest/kt10001.response.json", "kt10001", "0000138", None),
        ("rest/kt10002.response.json", "kt10002", "0000140", "0000139"),
        ("rest/kt10003.response.json", "kt10003", "0000141", "0000139"),  # root order, not 0000140
    ],
)
def test_order_acks(path, api_id, order_no, orig):
    fix = load(path)
    assert protocol.error_for(fix["body"], fix["http_status"] or 200, api_id) is None
    ack = protocol.parse_order_ack(fix["body"], api_id)
    assert (ack.order_no, ack.orig_order_no) == (order_no, orig)
    if fix.get("request"):  # our request builder produces the official request shape
        request = fix["request"]
        if api_id in ("kt10000", "kt10001"):
            built = protocol.order_body(request["stk_cd"], int(request["ord_qty"]), None)
        elif api_id == "kt10002":
            built = protocol.amend_body(request["orig_ord_no"], request["stk_cd"], 1, 199700)
        else:
            built = protocol.cancel_body(request["orig_ord_no"], request["stk_cd"], 1)
        assert built == request


def test_ka10075_open_orders():
    fix = load("rest/ka10075.response.json")
    assert protocol.open_orders_body("005930") == fix["request"]
    [order] = protocol.parse_open_orders(fix["body"])
    assert (order.order_no, order.code, order.name, order.side) == ("0000069", "005930", "삼성전자", Side.BUY)
    assert (order.qty, order.price, order.remaining_qty) == (1, 0, 1)
    assert (order.order_type, order.time, order.orig_order_no) == ("시장가", "154113", None)


def test_ka10076_fills():
    fix = load("rest/ka10076.response.json")
    assert protocol.fills_body("005930") == fix["request"]
    newest, older = protocol.parse_fills(fix["body"])
    assert (newest.order_no, newest.code, newest.side, newest.status) == (
        "0000037",
        "005930",
        Side.SELL,
        "체결",
    )
    assert (newest.order_qty, newest.order_price, newest.filled_qty, newest.fill_price) == (
        1,
        158200,
        1,
        158200,
    )
    assert (newest.remaining_qty, newest.time, newest.orig_order_no) == (0, "153815", None)
    assert older.order_no == "0000036"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "path, api_id, error_type, code",
    [
        ("errors/rc3-8005.json", "ka10001", TokenInvalid, "8005"),
        ("errors/rc3-8001.json", "au10001", AuthError, "8001"),
        ("errors/rc5-1700-429.json", "ka10029", RateLimited, "1700"),
        ("errors/rc5-1700-429-quota.json", "kt10001", RateLimited, "1700"),
        ("errors/rc5-1700-au10001.json", "au10001", RateLimited, "1700"),
        ("errors/rc20-2000-RC4058.json", "kt10000", BrokerRejected, "RC4058"),
        ("errors/rc20-2000-RC4057.json", "kt10000", BrokerRejected, "RC4057"),
        ("errors/rc20-2000-RC4003.json", "kt10000", BrokerRejected, "RC4003"),
        ("errors/rc20-2000-RC9000.json", "kt10000", BrokerRejected, "RC9000"),
        ("errors/rc20-2000-800033.json", "kt10001", BrokerRejected, "800033"),
    ],
)
def test_rest_errors(path, api_id, error_type, code):
    fix = load(path)
    error = protocol.error_for(fix["body"], fix["http_status"] or 200, api_id)
    assert type(error) is error_type
    assert error.code == code
    assert error.return_code == fix["body"]["return_code"]
    assert api_id in str(error)


def test_ws_login_failure_is_token_invalid():
    error = protocol.ws_error_for(body("errors/ws-login-805004.json"))
    assert isinstance(error, TokenInvalid)
    assert (error.code, error.return_code) == ("8005", 805004)


# --------------------------------------------------------------------------- WebSocket


def test_login_reply_and_ping():
    assert protocol.ws_error_for(body("ws/login.response.json")) is None
    assert body("ws/ping.json") == {"trnm": "PING"}  # echoed verbatim by the reader (socket tests)


def test_reg_request_and_ack():
    fix = load("ws/reg.json")
    assert protocol.reg_frame([""], ["00"]) == fix["request"]
    assert protocol.ws_error_for(fix["body"]) is None


def test_reg_overflow_is_rejected():
    error = protocol.ws_error_for(body("ws/reg.overflow.json"))
    assert isinstance(error, BrokerRejected) and "등록 종목수 초과" in str(error)


@pytest.mark.parametrize(
    "path, code", [("ws/system-R10002.json", "R10002"), ("ws/system-R10004.json", "R10004")]
)
def test_system_frames_are_not_real(path, code):
    frame = body(path)
    assert frame["trnm"] == "SYSTEM" and frame["code"] == code


def test_real_0b_official():
    [entry] = body("ws/real-0B.json")["data"]
    tick = protocol.parse_real_entry(entry, received=5.0)
    assert tick == Tick("005930", 20800, -50, pytest.approx(-0.24), 82, 30379732, "165208", 5.0)


def test_real_0b_captured_entry():
    tick = protocol.parse_real_entry(body("ws/real-0B.captured.json"))
    assert isinstance(tick, Tick)
    assert (tick.code, tick.price, tick.change, tick.change_pct, tick.qty, tick.volume) == (
        "000810",
        686000,
        25000,
        0.0,
        3,
        98232,
    )


def test_real_00_accepted():
    [entry] = body("ws/real-00.json")["data"]
    event = protocol.parse_real_entry(entry, received=1.5)
    assert isinstance(event, OrderEvent)
    assert (event.order_no, event.orig_order_no, event.code, event.name) == (
        "0000018",
        None,
        "005930",
        "삼성전자",
    )
    assert (event.side, event.status, event.action) == (Side.BUY, OrderStatus.ACCEPTED, OrderAction.NEW)
    assert (event.order_qty, event.order_price, event.remaining_qty, event.filled_qty) == (1, 0, 1, 0)
    assert (event.fill_price, event.fill_qty, event.time, event.reject_reason, event.received) == (
        None,
        None,
        "094022",
        None,
        1.5,
    )


def test_real_04_balance():
    [entry] = body("ws/real-04.json")["data"]
    event = protocol.parse_real_entry(entry)
    assert event == BalanceEvent("005930", "삼성전자", 102, 102, 154116, 60150)


@pytest.mark.parametrize(
    "path, seq, code, entered, time",
    [
        ("ws/real-02.json", "4", "005930", True, "152028"),
        ("ws/real-02.captured-I.json", "3", "079650", True, "100621"),
        ("ws/real-02.captured-D.json", "1", "001210", False, "095654"),
    ],
)
def test_real_02_condition(path, seq, code, entered, time):
    [entry] = body(path)["data"]
    assert protocol.parse_real_entry(entry, 2.0) == ConditionEvent(seq, code, entered, time, 2.0)


def test_cnsrlst_pairs():
    fix = load("ws/cnsrlst.json")
    assert protocol.cnsrlst_frame() == fix["request"]
    assert protocol.parse_conditions(fix["body"]) == [Condition(str(i), f"조건{i + 1}") for i in range(5)]


def test_cnsrreq_search():
    fix = load("ws/cnsrreq-0.json")
    assert protocol.cnsrreq_frame("4", "0") == fix["request"]
    matches, next_key = protocol.parse_search_page(fix["body"])  # its seq "2  " is not checked
    assert next_key is None and len(matches) == 5
    assert [m.price for m in matches] == [21850, 44350, 3855, 75000, 2900]
    fourth = matches[3]  # the spec's example row: 75,000, change -100, FID 12 "-00000130" = -0.13 %
    assert (fourth.code, fourth.name, fourth.price, fourth.change, fourth.change_pct, fourth.volume) == (
        "005930",
        "삼성전자",
        75000,
        -100,
        pytest.approx(-0.13),
        10386116,
    )


def test_cnsrreq_subscribe():
    fix = load("ws/cnsrreq-1.json")
    assert protocol.cnsrreq_frame("4", "1") == fix["request"]
    assert protocol.parse_subscribe_codes(fix["body"]) == ["005930"]  # 31 identical rows, one code


def test_cnsrclr():
    fix = load("ws/cnsrclr.json")
    assert protocol.cnsrclr_frame("1") == fix["request"]
    assert protocol.ws_error_for(fix["body"]) is None


def test_every_fixture_is_covered():
    """Each fixture file is named by a test in this module (order-independent: reads the source)."""
    from pathlib import Path

    source = Path(__file__).read_text(encoding="utf-8")
    files = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.json")}
    assert files, "no fixtures found"
    assert {f for f in files if f'"{f}"' not in source} == set()
