"""Control surface (/sim/) and injected faults."""

from __future__ import annotations

import threading

import pytest

from kiwoom_cli.sim.context import FAULT_KINDS
from tests.kit.helpers import wait_until
from tests.kit.sim import instrument


def test_health(sim, api):
    r = api.http.get(sim.rest_url + "/sim/health")
    assert r.status_code == 200 and r.json()["ok"] is True


def test_price_control_moves_the_quote(sim, api):
    inst = instrument(sim)
    target = inst.base_price + 500
    r = api.http.post(sim.rest_url + "/sim/price", json={"code": "005930", "price": target})
    assert r.status_code == 200 and r.json() == {"code": "005930", "price": target}
    assert api.ok("ka10001", {"stk_cd": "005930"})["cur_prc"] == f"+{target}"


@pytest.mark.parametrize("body,field", [({"price": 1000}, "code"), ({"code": "005930"}, "price"),
                                        ({"code": "005930", "price": "abc"}, "price"),
                                        ({"code": "005930", "price": -5}, "price")])
def test_price_control_bad_input_names_field(sim, api, body, field):
    r = api.http.post(sim.rest_url + "/sim/price", json=body)
    assert r.status_code == 400 and r.json()["error"].startswith(f"{field}:")


def test_price_control_off_grid_is_400(sim, api):
    inst = instrument(sim)
    r = api.http.post(sim.rest_url + "/sim/price", json={"code": "005930", "price": inst.price + 1})
    assert r.status_code == 400 and "1517" in r.json()["error"]
    r = api.http.post(sim.rest_url + "/sim/price", data=b"nope")
    assert r.status_code == 400 and r.json()["error"].startswith("body:")


def test_condition_control(sim, api):
    seq = sim.call(lambda: sim.ctx.exchange.conditions()[0].seq)
    r = api.http.post(sim.rest_url + "/sim/condition", json={"seq": seq, "code": "000660", "event": "I"})
    assert r.status_code == 200
    assert "000660" in sim.call(lambda: sim.ctx.exchange.condition_matches(seq))
    r = api.http.post(sim.rest_url + "/sim/condition", json={"seq": seq, "code": "000660", "event": "X"})
    assert r.status_code == 400 and r.json()["error"].startswith("event:")


def test_fault_bad_kind_and_count(sim, api):
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "meteor"})
    assert r.status_code == 400 and r.json()["error"].startswith("kind:")
    for kind in FAULT_KINDS:
        assert kind in r.json()["error"]
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "rate_limit", "count": 0})
    assert r.status_code == 400 and r.json()["error"].startswith("count:")


def test_rate_limit_fault_hits_next_n_calls(sim, api):
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "rate_limit", "count": 2})
    assert r.status_code == 200
    for _ in range(2):
        r = api.call("ka10001", {"stk_cd": "005930"})
        assert r.status_code == 429 and r.json()["return_code"] == 5
    api.ok("ka10001", {"stk_cd": "005930"})


def test_rest_error_fault(sim, api):
    sim.fault("rest_error", 1)
    r = api.call("kt00001", {"qry_tp": "3"})
    assert r.status_code == 500 and r.json()["return_code"] == 1 and "[1999:" in r.json()["return_msg"]
    api.ok("kt00001", {"qry_tp": "3"})
    assert sim.errors == []  # an injected fault is not a simulator bug


def test_expire_token_fault(sim, api):
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "expire_token"})
    assert r.status_code == 200
    msg = api.call("kt00001", {"qry_tp": "3"}).json()["return_msg"]
    assert msg == "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"
    api.login()
    api.ok("kt00001", {"qry_tp": "3"})


def test_drop_socket_fault_closes_websockets(sim, api):
    import json

    import websocket

    ws = websocket.create_connection(sim.ws_url, timeout=5, http_no_proxy=["127.0.0.1"])
    ws.send(json.dumps({"trnm": "LOGIN", "token": api.token}))
    assert json.loads(ws.recv())["return_code"] == 0
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "drop_socket"})
    assert r.status_code == 200
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        while True:  # drains any frame sent before the close, then hits the closed socket
            if ws.recv() in ("", b"", None):
                raise websocket.WebSocketConnectionClosedException("closed")
    ws.close()


def test_delay_order_fault_answers_after_the_order_is_placed(sim, api):
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "delay_order", "count": 1, "delay_s": 1.0})
    assert r.status_code == 200
    answered = threading.Event()
    result = {}

    def send():
        result["r"] = api.call("kt10000", {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1",
                                           "ord_uv": "", "trde_tp": "3", "cond_uv": ""})
        answered.set()

    t = threading.Thread(target=send)
    t.start()
    # the order reaches the exchange (and the log) while its answer is still held back
    wait_until(lambda: sim.order_log, timeout=5)
    assert not answered.is_set()
    t.join(10)
    assert result["r"].json()["ord_no"] == sim.order_log[0]["result"]["ord_no"]
    api.buy()  # the next order is not delayed
    assert len(sim.order_log) == 2


def test_orders_endpoint_lists_order_log(sim, api):
    api.buy()
    api.call("kt10001", {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "9", "ord_uv": "",
                         "trde_tp": "3", "cond_uv": ""})
    r = api.http.get(sim.rest_url + "/sim/orders")
    assert r.status_code == 200
    log = r.json()
    assert [e["api_id"] for e in log] == ["kt10000", "kt10001"]
    assert log[0]["result"]["return_code"] == 0 and log[1]["result"]["return_code"] == 20
    assert log[1]["body"]["ord_qty"] == "9"


def test_reset_gives_fresh_state(sim, api):
    api.buy(qty=2)
    r = api.http.post(sim.rest_url + "/sim/reset")
    assert r.status_code == 200
    # tokens are gone with the old state
    assert api.call("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"}).json()["return_code"] == 3
    api.login()
    assert api.ok("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})["acnt_evlt_remn_indv_tot"] == []
    assert int(api.ok("kt00001", {"qry_tp": "3"})["entr"]) == sim.config.cash


@pytest.mark.parametrize("form, code, status, rc, bracket", [
    ("http401", 8005, 401, 3, "[8005:"), ("rc3", "8031", 200, 3, "[8031:"), ("top", 8103, 200, 8103, None)])
def test_token_refused_fault_in_every_form(sim, api, form, code, status, rc, bracket):
    fault = {"kind": "token_refused", "form": form, "code": code, "api_id": "kt00001", "count": 2}
    r = api.http.post(sim.rest_url + "/sim/fault", json=fault)
    assert r.status_code == 200 and r.json()["answers"] == 1
    api.ok("ka10007", {"stk_cd": "005930"})  # another api-id is not hit
    for _ in range(2):
        r = api.call("kt00001", {"qry_tp": "3"})
        assert r.status_code == status and r.json()["return_code"] == rc
        assert (bracket in r.json()["return_msg"]) if bracket else "[" not in r.json()["return_msg"]
    api.ok("kt00001", {"qry_tp": "3"})  # the token itself was fine: the fault is spent


@pytest.mark.parametrize("form, code, status, rc", [("http429", 1701, 429, 5), ("top", "1702", 200, 1702)])
def test_rate_limited_fault_hits_any_api_id_when_none_is_named(sim, api, form, code, status, rc):
    r = api.http.post(sim.rest_url + "/sim/fault", json={"kind": "rate_limited", "form": form, "code": code})
    assert r.status_code == 200
    r = api.call("ka10007", {"stk_cd": "005930"})
    assert r.status_code == status and r.json()["return_code"] == rc
    assert (f"[{code}:" in r.json()["return_msg"]) == (form == "http429")
    api.ok("ka10007", {"stk_cd": "005930"})  # count defaults to 1


@pytest.mark.parametrize("effect", [True, False])
def test_bad_answer_is_sent_verbatim_after_the_order_did_or_did_not_take_effect(sim, api, effect):
    fault = {"kind": "bad_answer", "api_id": "kt10000", "status": 204, "body": "", "effect": effect}
    assert api.http.post(sim.rest_url + "/sim/fault", json=fault).status_code == 200
    r = api.call("kt10000", {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "",
                             "trde_tp": "3", "cond_uv": ""})
    assert r.status_code == 204 and r.content == b""
    held = api.ok("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})["acnt_evlt_remn_indv_tot"]
    assert len(held) == (1 if effect else 0)
    fault.update(status=200, body="not {json")
    api.http.post(sim.rest_url + "/sim/fault", json=fault)
    assert api.call("kt10000", {}).content == b"not {json"
    assert sim.errors == []


@pytest.mark.parametrize("fault, field", [
    ({"kind": "token_refused", "form": "http429", "code": 8005}, "form"),
    ({"kind": "token_refused", "form": "top", "code": 1700}, "code"),
    ({"kind": "token_refused", "form": "top"}, "code"),
    ({"kind": "rate_limited", "form": "http401", "code": 1700}, "form"),
    ({"kind": "rate_limited", "form": "top", "code": True}, "code"),
    ({"kind": "rate_limited", "form": "top", "code": 1700, "api_id": "zz99999"}, "api_id"),
    ({"kind": "bad_answer", "status": 204, "body": ""}, "api_id"),
    ({"kind": "bad_answer", "api_id": "kt10000", "status": 99, "body": ""}, "status"),
    ({"kind": "bad_answer", "api_id": "kt10000", "status": 200}, "body"),
    ({"kind": "bad_answer", "api_id": "kt10000", "status": 200, "body": {}}, "body"),
    ({"kind": "bad_answer", "api_id": "kt10000", "status": 200, "body": "", "effect": "yes"}, "effect"),
])
def test_answer_fault_bad_values_are_400_naming_the_field(sim, api, fault, field):
    r = api.http.post(sim.rest_url + "/sim/fault", json=fault)
    assert r.status_code == 400 and r.json()["error"].startswith(f"{field}:"), r.json()
    assert sim.call(lambda: list(sim.ctx.faults.answers)) == []


def test_reset_clears_armed_answers(sim, api):
    api.http.post(sim.rest_url + "/sim/fault", json={"kind": "rate_limited", "form": "top", "code": 1700})
    api.http.post(sim.rest_url + "/sim/reset")
    api.login()
    api.ok("kt00001", {"qry_tp": "3"})
