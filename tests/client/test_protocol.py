"""Request builders, envelope mapping and REAL routing (docs/protocol.md)."""

from __future__ import annotations

import pytest

from kiwoom_cli.errors import AuthError, BadInput, BrokerRejected, RateLimited, TemporaryError, TokenInvalid
from kiwoom_cli.kiwoom import protocol
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.kiwoom.endpoint import Credentials
from kiwoom_cli.models import Condition, ConditionEvent, OrderAction, OrderStatus, Side, Tick


def test_order_bodies():
    assert protocol.order_body("005930", 3, 70000) == {
        "dmst_stex_tp": "KRX",
        "stk_cd": "005930",
        "ord_qty": "3",
        "ord_uv": "70000",
        "trde_tp": "0",
        "cond_uv": "",
    }
    market = protocol.order_body("005930", 1, None)
    assert (market["trde_tp"], market["ord_uv"]) == ("3", "")
    assert protocol.cancel_body("0000140", "005930")["cncl_qty"] == "0"


@pytest.mark.parametrize(
    "call",
    [
        lambda: protocol.order_body("5930", 1, None),
        lambda: protocol.order_body("A005930", 1, None),
        lambda: protocol.order_body("005930", 0, None),
        lambda: protocol.order_body("005930", -1, 1000),
        lambda: protocol.order_body("005930", 1.5, 1000),
        lambda: protocol.order_body("005930", True, 1000),
        lambda: protocol.order_body("005930", 1, -70000),
        lambda: protocol.order_body("005930", 1, 0),
        lambda: protocol.amend_body("", "005930", 1, 1000),
        lambda: protocol.amend_body("00001x", "005930", 1, 1000),
        lambda: protocol.cancel_body("0000001", "005930", -1),
        lambda: protocol.quotes_body([]),
        lambda: protocol.quotes_body(["005930"] * 101),
        lambda: protocol.quote_body("삼성전자"),
    ],
)
def test_bad_input_is_refused_before_sending(call):
    with pytest.raises(BadInput):
        call()


def test_quotes_body_joins_with_pipe():
    assert protocol.quotes_body(["005930", "000660", "035420"]) == {"stk_cd": "005930|000660|035420"}
    assert protocol.quote_body("005930_AL") == {"stk_cd": "005930_AL"}


def test_token_bodies_and_credentials_repr():
    creds = Credentials("APPKEY-123", "SECRET-456")
    assert protocol.token_body(creds) == {
        "grant_type": "client_credentials",
        "appkey": "APPKEY-123",
        "secretkey": "SECRET-456",
    }
    assert protocol.revoke_body(creds, "TOK") == {
        "appkey": "APPKEY-123",
        "secretkey": "SECRET-456",
        "token": "TOK",
    }
    for text in (repr(creds), str(creds), f"{creds}"):
        assert "APPKEY-123" not in text and "SECRET-456" not in text


def test_headers_and_continuation():
    first = protocol.rest_headers("kt00018", "TOK")
    assert first == {
        "api-id": "kt00018",
        "content-type": "application/json;charset=UTF-8",
        "authorization": "Bearer TOK",
    }
    nxt = protocol.rest_headers("kt00018", "TOK", "KEY1")
    assert (nxt["cont-yn"], nxt["next-key"]) == ("Y", "KEY1")
    assert "authorization" not in protocol.rest_headers("au10001", None)
    assert protocol.continuation({"Cont-Yn": "Y", "Next-Key": "abc"}) == "abc"
    assert protocol.continuation({"cont-yn": "N", "next-key": "abc"}) is None
    assert protocol.continuation({}) is None


@pytest.mark.parametrize(
    "message, number",
    [
        ("인증에 실패했습니다[8005:Token이 유효하지 않습니다]", "8005"),
        ("허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10029]", "1700"),
        ("[2000](RC4058:모의투자 장종료)", "RC4058"),
        ("(RC4057:모의투자 장시작전)", "RC4057"),
        ("[2000](800033:모의투자 매도가능수량이 부족합니다.)", "800033"),
        (
            "입력 값 형식이 올바르지 않습니다[1517:입력 값 형식이 올바르지 않습니다. 파라미터=(ord_uv:-1)]",
            "1517",
        ),
        (
            "토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]",
            "8005",
        ),
        ("정상적으로 처리되었습니다", None),
        ("", None),
    ],
)
def test_error_number(message, number):
    assert protocol.error_number(message) == number


@pytest.mark.parametrize(
    "body, status, expected",
    [
        ({"return_code": 0, "return_msg": "ok"}, 200, None),
        ({"return_code": 3, "return_msg": "x[8005:Token이 유효하지 않습니다]"}, 200, TokenInvalid),
        ({}, 401, TokenInvalid),
        (
            {
                "return_code": 3,
                "return_msg": "인증 실패[8020:입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.]",
            },
            200,
            AuthError,
        ),
        (
            {"return_code": 3, "return_msg": "인증에 실패했습니다[8031:모의투자 미신청 계좌입니다]"},
            200,
            TokenInvalid,  # 8031 refuses the token (other investment type): re-issue, as Kiwoom's client does
        ),
        (
            {"return_code": 2, "return_msg": "x[8104:모의투자에서 지원하지 않는 API 입니다.]"},
            200,
            BrokerRejected,
        ),
        (
            {"return_code": 5, "return_msg": "x[1701:허용된 전체 요청 개수를 초과하였습니다]"},
            429,
            RateLimited,
        ),
        ({}, 429, RateLimited),
        ({"return_code": 2, "return_msg": "x[1517:입력 값 형식이 올바르지 않습니다]"}, 200, BrokerRejected),
        ({"return_code": 2, "return_msg": "x[1902:종목 정보가 없습니다]"}, 200, BrokerRejected),
        ({"return_code": 2, "return_msg": "x[1999:예기치 못한 에러가 발생했습니다]"}, 200, TemporaryError),
        ({}, 502, TemporaryError),
        (
            {"return_code": 20, "return_msg": "[2000](RC4025:모의투자 주문가능금액을 확인하세요.)"},
            200,
            BrokerRejected,
        ),
        ({"foo": 1}, 200, ProtocolError),
        (None, 200, ProtocolError),
        ({"return_code": 0}, 404, ProtocolError),  # was BrokerRejected: nothing refused anything
    ],
)
def test_error_for(body, status, expected):
    error = protocol.error_for(body, status, "kt10000")
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected
        assert error.http_status == status and error.api_id == "kt10000"


@pytest.mark.parametrize(
    "body, status, expected, code",
    [
        # token refusals in every documented form (the spec's table: 8005, 8031, 8103)
        ({"return_code": 8005, "return_msg": "Token이 유효하지 않습니다"}, 200, TokenInvalid, "8005"),
        ({"return_code": 8031, "return_msg": "투자구분이 달라서 Token를 사용할수가 없습니다"}, 200, TokenInvalid, "8031"),
        ({"return_code": "8103", "return_msg": "토큰 인증 또는 단말기인증에 실패했습니다"}, 200, TokenInvalid, "8103"),
        ({"return_code": 3, "return_msg": "인증에 실패했습니다[8103:토큰 인증 실패]"}, 200, TokenInvalid, "8103"),
        ({"return_code": 3, "return_msg": "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"}, 401, TokenInvalid,
         "8005"),
        ("", 401, TokenInvalid, None),  # bare 401: a query re-issues; an order cannot trust it
        # rate limits in every form
        ({"return_code": 1700, "return_msg": "허용된 API 요청 개수를 초과하였습니다"}, 200, RateLimited, "1700"),
        ({"return_code": 1701, "return_msg": "허용된 전체 요청 개수를 초과하였습니다"}, 200, RateLimited, "1701"),
        ({"return_code": 1702, "return_msg": "허용된 그룹 요청 개수를 초과하였습니다"}, 429, RateLimited, "1702"),
        ({"return_code": 2, "return_msg": "x[1702:허용된 그룹 요청 개수를 초과하였습니다]"}, 200, RateLimited, "1702"),
        ({"return_code": 5, "return_msg": "요청 개수를 초과하였습니다"}, 200, RateLimited, None),
        ("", 429, RateLimited, None),
        # rc 3 is a class, not a verdict: a request error inside it is a rejection
        ({"return_code": 3, "return_msg": "x[1504:해당 URI에서는 지원하는 API ID가 아닙니다]"}, 200, BrokerRejected,
         "1504"),
        ({"return_code": 3, "return_msg": "인증에 실패했습니다[8001:App Key와 Secret Key 검증에 실패했습니다]"}, 200,
         AuthError, "8001"),
        ({"return_code": 3, "return_msg": "인증에 실패했습니다"}, 200, AuthError, None),
        # not a Kiwoom answer: never a rejection, never "nothing there"
        ("", 204, ProtocolError, None),
        ("", 200, ProtocolError, None),
        ([1, 2], 200, ProtocolError, None),
        ({"return_code": "x"}, 200, ProtocolError, None),
        ({"return_code": 0, "return_msg": ""}, 204, ProtocolError, None),
        ("", 503, TemporaryError, None),
    ],
)
def test_error_for_every_documented_form(body, status, expected, code):
    error = protocol.error_for(body, status, "ka10001")
    assert type(error) is expected and error.code == code and error.http_status == status


def test_rc20_keeps_the_back_office_code():
    error = protocol.error_for(
        {"return_code": 20, "return_msg": "[2000](RC4025:모의투자 주문가능금액을 확인하세요.)"},
        200,
        "kt10000",
    )
    assert error.code == "RC4025" and error.return_code == 20 and "주문가능금액" in error.message


def test_ws_frames():
    assert protocol.login_frame("TOK") == {"trnm": "LOGIN", "token": "TOK"}
    assert protocol.reg_frame(["005930", "000660_AL"], ["0B", "0D"]) == {
        "trnm": "REG",
        "grp_no": "1",
        "refresh": "1",
        "data": [{"item": ["005930", "000660_AL"], "type": ["0B", "0D"]}],
    }
    assert protocol.remove_frame(["005930"], ["0B"]) == {
        "trnm": "REMOVE",
        "grp_no": "1",
        "data": [{"item": ["005930"], "type": ["0B"]}],
    }
    assert protocol.account_reg_frame()["data"] == [{"item": [""], "type": ["00", "04"]}]
    assert protocol.cnsrreq_frame("4", "0", "NEXT") == {
        "trnm": "CNSRREQ",
        "seq": "4",
        "search_type": "0",
        "stex_tp": "K",
        "cont_yn": "Y",
        "next_key": "NEXT",
    }
    assert protocol.cnsrclr_frame("4") == {"trnm": "CNSRCLR", "seq": "4"}


@pytest.mark.parametrize(
    "frame, expected",
    [
        ({"trnm": "LOGIN", "return_code": 0, "return_msg": ""}, None),
        ({"trnm": "LOGIN", "return_code": 805004, "return_msg": "x [CODE=8001, MESSAGE=y]"}, AuthError),
        ({"trnm": "REG", "return_code": 1, "return_msg": "등록 종목수 초과"}, BrokerRejected),
        ({"trnm": "CNSRREQ", "return_code": 105110, "return_msg": "요청 건수 초과"}, BrokerRejected),
        ({"trnm": "CNSRREQ", "seq": "2  ", "return_code": 0}, None),  # no return_msg: fine
    ],
)
def test_ws_error_for(frame, expected):
    error = protocol.ws_error_for(frame)
    assert (error is None) if expected is None else (type(error) is expected)


# --------------------------------------------------------------------------- REAL routing


def test_condition_push_routed_by_fids_not_type():
    entry = {
        "type": "0A",
        "name": "005930",
        "item": "005930_AL",
        "values": {"841": "7 ", "9001": "A005930", "843": "D", "20": "101010"},
    }
    assert protocol.parse_real_entry(entry, 3.0) == ConditionEvent("7", "005930", False, "101010", 3.0)


def test_values_as_one_element_list_is_unwrapped():
    entry = {
        "type": "0B",
        "item": "005380_NX",
        "values": [{"10": "-686000", "11": "-100", "12": "-0.01", "13": "7", "15": "-3", "20": "090001"}],
    }
    assert protocol.parse_real_entry(entry) == Tick(
        "005380", 686000, -100, pytest.approx(-0.01), -3, 7, "090001"
    )


def test_unmodelled_types_are_skipped_and_bad_values_refused():
    assert protocol.parse_real_entry({"type": "0D", "item": "005930", "values": {"41": "-0"}}) is None
    with pytest.raises(ProtocolError):
        protocol.parse_real_entry({"type": "0B", "item": "005930", "values": "oops"})
    with pytest.raises(ProtocolError):
        protocol.parse_real_entry({"type": "02", "values": {"841": "1", "843": "X", "9001": "005930"}})


def _order_values(**overrides):
    values = {
        "9203": "0000020",
        "9001": "A005930",
        "913": "체결",
        "302": "삼성전자",
        "900": "10",
        "901": "+70000",
        "902": "4",
        "903": "420000",
        "904": "0000000",
        "905": "+매수",
        "906": "보통",
        "907": "2",
        "908": "100102",
        "909": "0000011",
        "910": "70000",
        "911": "6",
        "914": "70000",
        "915": "2",
        "919": "0",
    }
    values.update(overrides)
    return {"type": "00", "name": "주문체결", "item": "A005930", "values": values}


def test_order_partial_fill():  # unverified shape (no real 체결 frame exists, fixtures README)
    event = protocol.parse_real_entry(_order_values())
    assert (event.code, event.status, event.side, event.action) == (
        "005930",
        OrderStatus.FILLED,
        Side.BUY,
        OrderAction.NEW,
    )
    assert (event.order_price, event.remaining_qty, event.filled_qty, event.fill_price, event.fill_qty) == (
        70000,
        4,
        6,
        70000,
        2,
    )


@pytest.mark.parametrize(
    "overrides, status, action, side",
    [
        (
            {"913": "접수", "905": "매수취소", "904": "0000019", "911": "", "914": "", "915": ""},
            OrderStatus.ACCEPTED,
            OrderAction.CANCEL,
            Side.BUY,
        ),
        (
            {"913": "확인", "905": "-매도정정", "907": "1", "911": "", "914": "", "915": ""},
            OrderStatus.CONFIRMED,
            OrderAction.AMEND,
            Side.SELL,
        ),
        (
            {"913": "접수", "905": "-매수", "907": "2"},
            OrderStatus.ACCEPTED,
            OrderAction.NEW,
            Side.BUY,
        ),  # 905 sign is cosmetic
        (
            {"913": "접수", "905": "+매도", "907": ""},
            OrderStatus.ACCEPTED,
            OrderAction.NEW,
            Side.SELL,
        ),  # no 907: fall back on text
    ],
)
def test_order_event_kinds(overrides, status, action, side):
    event = protocol.parse_real_entry(_order_values(**overrides))
    assert (event.status, event.action, event.side) == (status, action, side)


def test_order_cancel_points_at_original_and_reject_reason():
    cancel = protocol.parse_real_entry(
        _order_values(**{"913": "접수", "905": "매수취소", "904": "0000019", "915": ""})
    )
    assert cancel.orig_order_no == "0000019" and cancel.fill_qty is None and cancel.fill_price is None
    reject = protocol.parse_real_entry(
        _order_values(**{"913": "거부", "919": "주문가능금액 부족", "915": ""})
    )
    assert reject.status is OrderStatus.REJECTED and reject.reject_reason == "주문가능금액 부족"


def test_unknown_order_status_is_an_error():
    with pytest.raises(ProtocolError, match="913"):
        protocol.parse_real_entry(_order_values(**{"913": "???"}))


def test_cnsrlst_objects_and_search_paging():
    frame = {
        "trnm": "CNSRLST",
        "return_code": 0,
        "data": [{"seq": "0", "name": "a"}, {"seq": "1 ", "name": " b "}],
    }
    assert protocol.parse_conditions(frame) == [Condition("0", "a"), Condition("1", "b")]
    page = {"trnm": "CNSRREQ", "cont_yn": "Y", "next_key": "K2", "return_code": 0, "data": []}
    assert protocol.parse_search_page(page) == ([], "K2")


@pytest.mark.parametrize(
    "values",
    [
        {"20": "165208", "10": "-20800", "11": "-50", "12": "-0.24", "15": "+82", "13": "30379732"},
        {"20": "135622", "10": "+686000", "11": "+25000", "12": "+3.78", "15": "+3", "13": "98232"},
        {"20": "090000", "10": "70000", "11": "0", "12": "0.00", "15": "-1", "13": "1"},
        {"20": "090000", "10": "-0", "11": "-0", "12": "", "15": "", "13": ""},  # "no value yet" forms
    ],
)
def test_tick_fast_path_agrees_with_the_careful_decoders(values):
    from kiwoom_cli.kiwoom.wsparsers import parse_tick

    fast = parse_tick({"type": "0B", "item": "005930", "values": values}, 1.5)
    careful = parse_tick({"type": "0B", "item": "005930_AL", "values": values}, 1.5)  # suffix: slow path
    assert fast == careful
