"""wire_ws: domain views -> Kiwoom frames, checked against the real payload fixtures' shapes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiwoom_cli.clock import KST
from kiwoom_cli.sim import wire_ws as wire
from kiwoom_cli.sim import wire_ws_real as real
from kiwoom_cli.sim.domain import (
    ConditionChange,
    ConditionDef,
    FillView,
    HoldingView,
    InstrumentView,
    OrderUpdate,
    OrderView,
    PositionUpdate,
    TradePrint,
)
from tests.kit.helpers import fixture
from tests.sim_ws.shapes import OPTIONAL_0B, assert_same_shape

T = dt.datetime(2026, 11, 25, 9, 40, 22, tzinfo=KST)

def inst(price=20800, base=20850, **kw) -> InstrumentView:
    fields = dict(
        code="005930", name="삼성전자", market="KOSPI", base_price=base, price=price,
        open=base, high=21150, low=20450, volume=30379732, turnover=632_640_000_000,
        upper_limit=27100, lower_limit=14600, best_ask=price, best_bid=price - 50,
        prev_volume=1_000_000,
    )
    fields.update(kw)
    return InstrumentView(**fields)


def order(**kw) -> OrderView:
    fields = dict(
        order_no="0000018", orig_order_no="0000000", account_no="1111111111", code="005930",
        name="삼성전자", side="buy", kind="new", trde_tp="3", qty=1, price=0, filled_qty=0,
        filled_amount=0, remaining_qty=1, status="접수", time=T,
    )
    fields.update(kw)
    return OrderView(**fields)


def holding(**kw) -> HoldingView:
    fields = dict(
        code="005930", name="삼성전자", qty=102, sellable_qty=102, avg_price=154116,
        purchase_amount=15719834, current_price=60150, base_price=60300, today_buy_qty=4,
        today_sell_qty=0, purchase_commission=0,
    )
    fields.update(kw)
    return HoldingView(**fields)


def decoded(data: bytes) -> dict:
    return json.loads(data.decode("utf-8"))


def test_0b_entry_matches_official_shape_and_values():
    tp = TradePrint(code="005930", price=20800, qty=82, time=T.replace(hour=16, minute=52, second=8),
                    instrument=inst())
    entry = decoded(real.entry_0b(tp, real.strength_text(9892, 10000)))
    official = fixture("ws/real-0B.json")["body"]["data"][0]
    assert_same_shape(entry, official, OPTIONAL_0B)
    v = entry["values"]
    assert (v["20"], v["10"], v["11"], v["12"], v["15"], v["13"]) == (
        "165208", "-20800", "-50", "-0.24", "+82", "30379732")
    assert (v["16"], v["17"], v["18"], v["25"], v["14"], v["228"]) == (
        "20850", "+21150", "-20450", "5", "632640", "98.92")


def test_0b_captured_entry_keys_are_a_subset():
    captured = fixture("ws/real-0B.captured.json")["body"]
    tp = TradePrint(code="000810", price=686000, qty=-3, time=T, instrument=inst(
        price=686000, base=661000, open=661000, high=690000, low=660000, best_ask=686000,
        best_bid=685000, upper_limit=859000, lower_limit=463000))
    entry = decoded(real.entry_0b(tp, "100.00"))
    assert set(captured["values"]) <= set(entry["values"])
    assert entry["values"]["10"] == "+686000" and entry["values"]["15"] == "-3"
    assert entry["values"]["12"] == "+3.78"  # unverified: plus sign on positive rates


@pytest.mark.parametrize(
    "price,code", [(27100, "1"), (21000, "2"), (20850, "3"), (14600, "4"), (20000, "5")]
)
def test_change_sign_code(price, code):
    assert wire.change_sign_code(inst(price=price)) == code


def test_00_accept_matches_official_example():
    update = OrderUpdate(account_no="1111111111", app_key="k", order=order(), status="접수")
    entry = decoded(real.entry_00(update, inst(price=60700, base=60000, best_ask=60700,
                                               best_bid=59950)))
    official = fixture("ws/real-00.json")["body"]["data"][0]
    assert_same_shape(entry, official)
    v = entry["values"]
    for fid in ("9201", "9203", "9001", "912", "913", "900", "901", "902", "903", "904", "905",
                "906", "907", "908", "909", "910", "911", "10", "27", "919"):
        if fid not in ("2136",):
            assert v[fid] == official["values"][fid], fid
    assert v["28"] == "-59950"


def test_00_fill_and_cancel_sequences():
    # unverified shapes (no real example): 체결 carries 909-911/914/915; 취소 uses 905 매수취소.
    fill = FillView(fill_no="0000001", order_no="0000018", orig_order_no="0000000", code="005930",
                    name="삼성전자", side="sell", trde_tp="0", order_qty=10, order_price=60000,
                    price=60000, qty=4, remaining_qty=6, time=T, commission=30, tax=480)
    o = order(side="sell", trde_tp="0", qty=10, price=60000, filled_qty=4, filled_amount=240000,
              remaining_qty=6, status="체결", commission=30, tax=480)
    v = decoded(real.entry_00(OrderUpdate("1111111111", "k", o, "체결", fill), inst()))["values"]
    assert (v["913"], v["905"], v["906"], v["907"], v["909"], v["910"], v["911"], v["914"],
            v["915"], v["902"], v["903"], v["938"], v["939"]) == (
        "체결", "-매도", "보통", "1", "0000001", "60000", "4", "60000", "4", "6", "240000",
        "30", "480")
    cancel = order(order_no="0000019", orig_order_no="0000018", kind="cancel", status="접수",
                   remaining_qty=6)
    v = decoded(real.entry_00(OrderUpdate("1111111111", "k", cancel, "확인"), inst()))["values"]
    assert (v["913"], v["905"], v["904"], v["9203"], v["909"]) == (
        "확인", "매수취소", "0000018", "0000019", "")
    amend = order(kind="amend", orig_order_no="0000018", order_no="0000020")
    for status, text in (("접수", "+매수정정"), ("확인", "매수정정")):
        assert decoded(real.entry_00(OrderUpdate("1", "k", amend, status), inst()))["values"]["905"] == text
    rejected = decoded(real.entry_00(OrderUpdate("1", "k", order(status="거부"), "거부",
                                                 reject_reason="주문가능금액 부족"), inst()))
    assert rejected["values"]["919"] == "주문가능금액 부족"


def test_04_matches_official_example():
    update = PositionUpdate(account_no="1111111111", app_key="k", holding=holding(),
                            today_net_buy_qty=4, side="buy")
    entry = decoded(real.entry_04(update, inst(price=60150, base=60300, best_ask=60200,
                                               best_bid=60100)))
    official = fixture("ws/real-04.json")["body"]["data"][0]
    assert_same_shape(entry, official)
    for fid in ("9201", "9001", "10", "930", "931", "932", "933", "945", "946", "27", "28", "307"):
        assert entry["values"][fid] == official["values"][fid], fid


@pytest.mark.parametrize("name", ["real-02.json", "real-02.captured-I.json", "real-02.captured-D.json"])
def test_02_push_shape(name):
    official = fixture(f"ws/{name}")["body"]
    change = ConditionChange(seq="3", code="079650", event="D", time=T.replace(hour=10, minute=6, second=21))
    frame = decoded(wire.real_frame([real.entry_02(change)]))
    assert_same_shape(frame, official, frozenset({"907"}))
    assert frame["data"][0]["values"] == {"841": "3", "9001": "079650", "843": "D", "20": "100621"}


def test_real_frame_joins_entries_without_reencoding():
    a, b = wire.dumps({"type": "0B", "x": "가"}), wire.dumps({"type": "0B", "y": 1})
    frame = wire.real_frame([a, b])
    assert a in frame and b in frame
    assert decoded(frame) == {"trnm": "REAL", "data": [{"type": "0B", "x": "가"}, {"type": "0B", "y": 1}]}


def test_cnsrreq_row_encodings_match_official():
    official = fixture("ws/cnsrreq-0.json")["body"]
    i = inst(price=75000, base=75100, open=75100, high=75600, low=74700, volume=10386116)
    row = wire.cnsrreq_row(i)
    # The spec's example row, FID 12 included: -100 on 75,100 is -0.13 %, sent x 1000 as "-00000130"
    assert row == official["data"][3]
    assert row["12"] == "-00000130"
    page = decoded(wire.cnsrreq_page("4", [row], True, "50"))
    assert_same_shape(page, {**official, "return_msg": ""}, path="CNSRREQ")
    assert (page["cont_yn"], page["next_key"]) == ("Y", "50")
    up = wire.cnsrreq_row(inst(price=21000, base=20850))
    assert (up["11"], up["12"], up["10"]) == ("000000150", "000000720", "000021000")  # +0.72 %
    assert wire.cnsrreq_row(inst(price=20300, base=20000))["12"] == "000001500"  # the spec's +1.50 %


def test_padded9_and_rate():
    assert wire.padded9(-100) == "-00000100"
    assert wire.padded9(0) == "000000000"
    assert wire.padded9(21850) == "000021850"
    assert wire.signed_rate(0) == "0.00"
    assert real.strength_text(0, 0) == "0.00" and real.strength_text(10, 0) == "500.00"


def test_condition_list_and_realtime_reply():
    official = fixture("ws/cnsrlst.json")["body"]
    lst = decoded(wire.cnsrlst([ConditionDef("0", "조건1", "x"), ConditionDef("1", "조건2", "y")]))
    assert_same_shape(lst, official)
    assert lst["data"] == [["0", "조건1"], ["1", "조건2"]]
    rt_official = fixture("ws/cnsrreq-1.json")["body"]
    rt = decoded(wire.cnsrreq_realtime("4", ["005930", "000660"]))
    assert_same_shape(rt, {**rt_official, "return_msg": ""})
    assert rt["data"] == [{"jmcode": "A005930"}, {"jmcode": "A000660"}]


def test_control_frames_match_fixtures():
    assert decoded(wire.login_ok()) == fixture("ws/login.response.json")["body"]
    assert decoded(wire.login_failed("8005", "Token이 유효하지 않습니다")) == fixture(
        "errors/ws-login-805004.json")["body"]
    assert decoded(wire.system_frame("R10002")) == fixture("ws/system-R10002.json")["body"]
    assert decoded(wire.system_frame("R10004")) == fixture("ws/system-R10004.json")["body"]
    assert decoded(wire.PING) == fixture("ws/ping.json")["body"]
    assert decoded(wire.reply("REG")) == fixture("ws/reg.json")["body"]
    assert decoded(wire.reply("REG", 1, wire.REG_LIMIT_MSG)) == fixture("ws/reg.overflow.json")["body"]
    assert decoded(wire.reply("CNSRCLR", seq="1")) == fixture("ws/cnsrclr.json")["body"]
    before = decoded(wire.before_login("REG"))
    assert before["return_code"] == 100013 and before["trnm"] == "REG"


@pytest.mark.parametrize("ours,theirs", [
    ({"9203": "18"}, {"9203": "0000018"}),  # width
    ({"9001": "005930"}, {"9001": "A005930"}),  # prefix
    ({"13": "+5"}, {"13": "000000005"}),  # plus sign on a zero-padded field
    ({"12": "-0.2"}, {"12": "-0.24"}),  # decimals
    ({"return_code": "0"}, {"return_code": 0}),  # type
    ({"a": "1"}, {"a": "1", "b": "2"}),  # missing key
    ({"a": "1", "c": "3"}, {"a": "1"}),  # extra key
])
def test_the_shape_check_catches_encoding_differences(ours, theirs):
    with pytest.raises(AssertionError):
        assert_same_shape(ours, theirs)
