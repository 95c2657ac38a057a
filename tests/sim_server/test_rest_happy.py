"""Every api-id's happy path against a running SimServer over real sockets."""

from __future__ import annotations

import datetime as dt
import re

from kiwoom_cli.clock import KST
from tests.kit.sim import APP_KEY, SECRET, instrument
from tests.kit.wire import Api


def test_token_issue_shape_and_expiry(sim, clock):
    api = Api(sim)
    r = api.http.post(sim.rest_url + "/oauth2/token",
                      json={"grant_type": "client_credentials", "appkey": APP_KEY, "secretkey": SECRET})
    assert r.status_code == 200
    body = r.json()
    assert body["return_code"] == 0 and body["token_type"] == "bearer" and body["token"]
    assert r.headers["api-id"] == "au10001"
    expires = dt.datetime.strptime(body["expires_dt"], "%Y%m%d%H%M%S").replace(tzinfo=KST)
    assert expires - clock.now() == dt.timedelta(hours=24)


def test_token_revoke_then_token_is_refused(api):
    r = api.http.post(api.sim.rest_url + "/oauth2/revoke",
                      json={"appkey": APP_KEY, "secretkey": SECRET, "token": api.token})
    assert r.status_code == 200 and r.json() == {"return_code": 0, "return_msg": "정상적으로 처리되었습니다"}
    r = api.call("kt00001", {"qry_tp": "3"})
    assert r.status_code == 200
    assert r.json() == {"return_code": 3, "return_msg": "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"}


def test_ka10001_quote_signs(api, sim):
    inst = instrument(sim)
    up = inst.base_price + 1000  # on the 100-won grid of a ~97,500 stock
    sim.set_price("005930", up)
    body = api.ok("ka10001", {"stk_cd": "005930"})
    assert body["stk_cd"] == "005930" and body["stk_nm"] == "삼성전자"
    assert body["cur_prc"] == f"+{up}" and body["pred_pre"] == "+1000" and body["pre_sig"] == "2"
    assert body["base_pric"] == str(inst.base_price)
    assert body["upl_pric"] == f"+{inst.upper_limit}" and body["lst_pric"] == f"-{inst.lower_limit}"
    assert re.fullmatch(r"\+\d+\.\d\d", body["flu_rt"])
    down = inst.base_price - 1000
    sim.set_price("005930", down)
    body = api.ok("ka10001", {"stk_cd": "005930_AL"})  # suffix served from KRX (mock)
    assert body["cur_prc"] == f"-{down}" and body["pred_pre"] == "-1000" and body["pre_sig"] == "5"
    assert body["flu_rt"].startswith("-")


def test_ka10001_flat_price_is_unsigned(api, sim):
    inst = instrument(sim)
    sim.set_price("005930", inst.base_price)
    body = api.ok("ka10001", {"stk_cd": "005930"})
    assert body["cur_prc"] == str(inst.base_price) and body["pre_sig"] == "3" and body["flu_rt"] == "0.00"


def test_ka10007_limits_and_book(api, sim, clock):
    inst = instrument(sim)
    sim.set_price("005930", inst.upper_limit)
    body = api.ok("ka10007", {"stk_cd": "005930"})
    assert body["cur_prc"] == f"+{inst.upper_limit}" and body["smbol"] == "1"
    assert body["pred_close_pric"] == str(inst.base_price)
    assert body["date"] == clock.now().strftime("%Y%m%d") and body["tm"] == clock.now().strftime("%H%M%S")
    after = instrument(sim)
    assert body["sel_1bid"] in (f"+{after.best_ask}", "0") and body["buy_1bid"].lstrip("+-") == str(after.best_bid)
    sim.set_price("005930", inst.lower_limit)
    body = api.ok("ka10007", {"stk_cd": "005930"})
    assert body["cur_prc"] == f"-{inst.lower_limit}" and body["smbol"] == "4"


def test_ka10095_several_codes_and_unknown(api, sim):
    body = api.ok("ka10095", {"stk_cd": "005930|000660|999999|035420"})
    rows = body["atn_stk_infr"]
    assert [r["stk_cd"] for r in rows] == ["005930", "000660", "", "035420"]
    assert rows[2]["cur_prc"] == "" and rows[2]["stk_nm"] == ""
    assert rows[1]["stk_nm"] == "SK하이닉스"
    assert rows[0]["upl_pric"].startswith("+") and rows[0]["lst_pric"].startswith("-")


def test_kt00001_cash(api, sim):
    body = api.ok("kt00001", {"qry_tp": "3"})
    cash = sim.config.cash
    assert body["entr"] == f"{cash:015d}" and body["ord_alow_amt"] == f"{cash:015d}"
    assert body["100stk_ord_alow_amt"] == body["d2_entra"] == f"{cash:015d}"
    assert body["stk_entr_prst"] == []


def test_buy_then_kt00018_and_kt00001(api, sim):
    inst = instrument(sim)
    no = api.buy(qty=3)
    assert re.fullmatch(r"\d{7}", no)
    body = api.ok("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})
    [row] = body["acnt_evlt_remn_indv_tot"]
    assert row["stk_cd"] == "A005930" and row["rmnd_qty"] == "000000000000003"
    assert row["trde_able_qty"] == "000000000000003" and row["tdy_buyq"] == "000000000000003"
    assert len(row["cur_prc"]) == 12 and len(row["pred_close_pric"]) == 12
    assert int(row["pred_close_pric"]) == inst.base_price
    assert len(body["tot_pur_amt"]) == 15 and int(body["tot_pur_amt"]) == int(row["pur_amt"])
    # evltv_prft = evlt - pur - pur_cmsn - sell_cmsn - tax (official example arithmetic, tests/fixtures/kiwoom/rest/kt00018.response.json)
    expect = (int(row["evlt_amt"]) - int(row["pur_amt"]) - int(row["pur_cmsn"]) - int(row["sell_cmsn"])
              - int(row["tax"]))
    assert int(row["evltv_prft"]) == expect
    cash = api.ok("kt00001", {"qry_tp": "3"})
    spent = int(row["pur_amt"]) + int(row["pur_cmsn"])
    assert int(cash["entr"]) == sim.config.cash - spent


def test_sell_and_ka10076_fills(api, sim):
    api.buy(qty=2)
    no = api.sell(qty=1)
    body = api.ok("ka10076", {"stk_cd": "", "qry_tp": "0", "sell_tp": "0", "ord_no": "", "stex_tp": "0"})
    rows = body["cntr"]
    assert rows[0]["ord_no"] == no and rows[0]["io_tp_nm"] == "-매도" and rows[0]["cntr_qty"] == "1"
    assert rows[1]["io_tp_nm"] == "+매수" and rows[1]["trde_tp"] == "시장가"
    assert body["return_msg"] == " 조회가 완료되었습니다."
    sells = api.ok("ka10076", {"stk_cd": "005930", "qry_tp": "1", "sell_tp": "1", "ord_no": "",
                               "stex_tp": "0"})["cntr"]
    assert [r["ord_no"] for r in sells] == [no]
    older = api.ok("ka10076", {"stk_cd": "", "qry_tp": "0", "sell_tp": "0", "ord_no": no,
                               "stex_tp": "0"})["cntr"]
    assert [r["ord_no"] for r in older] == [rows[1]["ord_no"]]


def test_limit_order_rests_then_amend_and_cancel(api, sim):
    inst = instrument(sim)
    low = inst.lower_limit  # far below the market: rests
    no = api.buy(qty=5, price=low)
    oso = api.ok("ka10075", {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"})["oso"]
    assert [(r["ord_no"], r["oso_qty"], r["ord_pric"], r["trde_tp"], r["io_tp_nm"]) for r in oso] == [
        (no, "5", str(low), "보통", "+매수")]
    assert oso[0]["stk_cd"] == "005930" and oso[0]["orig_ord_no"] == "0000000"
    new_price = low + 100
    amended = api.ok("kt10002", {"dmst_stex_tp": "KRX", "orig_ord_no": no, "stk_cd": "005930",
                                 "mdfy_qty": "5", "mdfy_uv": str(new_price), "mdfy_cond_uv": ""})
    assert amended["base_orig_ord_no"] == no and amended["mdfy_qty"] == "000000000005"
    assert amended["ord_no"] != no and amended["dmst_stex_tp"] == "KRX"
    oso = api.ok("ka10075", {"all_stk_tp": "1", "trde_tp": "2", "stk_cd": "005930", "stex_tp": "0"})["oso"]
    assert [(r["ord_no"], r["ord_pric"], r["io_tp_nm"]) for r in oso] == [
        (amended["ord_no"], str(new_price), "+매수정정")]
    cancelled = api.ok("kt10003", {"dmst_stex_tp": "KRX", "orig_ord_no": amended["ord_no"],
                                   "stk_cd": "005930", "cncl_qty": "0"})
    # the root order, as in the official example (cancel of a modify reports 0000139)
    assert cancelled["base_orig_ord_no"] == no and cancelled["cncl_qty"] == "000000000005"
    assert "dmst_stex_tp" not in cancelled
    assert api.ok("ka10075", {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"})["oso"] == []


def test_order_log_records_body_as_sent_and_result(api, sim):
    body = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "", "trde_tp": "3",
            "cond_uv": ""}
    r = api.call("kt10000", body)
    bad = dict(body, ord_qty="x")
    r2 = api.call("kt10000", bad)
    log = sim.order_log
    assert [e["api_id"] for e in log] == ["kt10000", "kt10000"]
    assert log[0]["body"] == body and log[0]["result"] == r.json()
    assert log[1]["body"] == bad and log[1]["result"] == r2.json() and r2.json()["return_code"] == 2
    assert all(isinstance(e["time"], float) for e in log)
    reqs = sim.request_log
    assert reqs[0]["api_id"] == "au10001" and reqs[0]["body"]["secretkey"] == "***"
    assert reqs[0]["result"]["token"] == "***"


def test_websocket_on_rest_port_when_ws_port_is_none(clock):
    import json

    import websocket

    from kiwoom_cli.sim.domain import SimConfig
    from kiwoom_cli.sim.server import SimServer

    with SimServer(SimConfig(rate_limit=None, static=True), clock=clock, ws_port=None) as sim:
        assert sim.ws_url == f"ws://127.0.0.1:{sim.rest_port}/api/dostk/websocket"
        token = Api(sim).login()
        ws = websocket.create_connection(sim.ws_url, timeout=5, http_no_proxy=["127.0.0.1"])
        try:
            ws.send(json.dumps({"trnm": "LOGIN", "token": token}))
            reply = json.loads(ws.recv())
            assert reply["trnm"] == "LOGIN" and reply["return_code"] == 0
        finally:
            ws.close()
        # POST to the websocket path is still a Kiwoom-shaped REST answer
        r = Api(sim).http.post(sim.rest_url + "/api/dostk/websocket", json={}, headers={"api-id": "ka10001"})
        assert r.json()["return_code"] == 2 and "[1504:" in r.json()["return_msg"]
