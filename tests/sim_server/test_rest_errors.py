"""Every documented error shape, answered Kiwoom-style (never HTML, never a traceback)."""

from __future__ import annotations

import pytest

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import instrument
from tests.kit.wire import Api

ORDER = {"dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "1", "ord_uv": "", "trde_tp": "3",
         "cond_uv": ""}


def error_of(r) -> tuple[int, int, str]:
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"return_code", "return_msg"}
    return r.status_code, body["return_code"], body["return_msg"]


def test_missing_api_id_1501(api):
    r = api.call("", {"stk_cd": "005930"}, path="/api/dostk/stkinfo")
    assert error_of(r) == (200, 2, "입력 값 오류입니다[1501:API ID가 Null이거나 값이 없습니다]")


def test_wrong_path_1504(api):
    status, rc, msg = error_of(api.call("ka10001", {"stk_cd": "005930"}, path="/api/dostk/acnt"))
    assert (status, rc) == (200, 2) and "[1504:" in msg and "API ID=ka10001" in msg and "/api/dostk/acnt" in msg


def test_unknown_api_id_1505(api):
    status, rc, msg = error_of(api.call("ka99999", {}, path="/api/dostk/stkinfo"))
    assert (status, rc) == (200, 2) and "[1505:" in msg


def test_missing_authorization_1513(api):
    r = api.http.post(api.sim.rest_url + "/api/dostk/stkinfo", json={"stk_cd": "005930"},
                      headers={"api-id": "ka10001"})
    status, rc, msg = error_of(r)
    assert (status, rc) == (200, 2) and "[1513:" in msg


def test_no_bearer_1515_and_empty_token_1516(api):
    r = api.call("ka10001", {"stk_cd": "005930"}, headers={"authorization": api.token})
    assert "[1515:" in error_of(r)[2]
    r = api.call("ka10001", {"stk_cd": "005930"}, headers={"authorization": "Bearer "})
    assert "[1516:" in error_of(r)[2] or "[1513:" in error_of(r)[2]


@pytest.mark.parametrize("field", ["stk_cd", "ord_qty", "trde_tp", "dmst_stex_tp"])
def test_missing_required_field_1511(api, sim, field):
    body = {k: v for k, v in ORDER.items() if k != field}
    status, rc, msg = error_of(api.call("kt10000", body))
    assert (status, rc) == (200, 2)
    assert msg == f"입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터={field}]"
    assert sim.call(lambda: sim.ctx.exchange.orders(sim.ctx.exchange.app_key_for_token(api.token))) == []


@pytest.mark.parametrize("field,value", [("ord_uv", "-97500"), ("ord_uv", "+97500"), ("ord_qty", "abc"),
                                         ("ord_qty", "0"), ("ord_qty", 1), ("stk_cd", "A005930")])
def test_bad_value_format_1517(api, field, value):
    body = dict(ORDER, **{field: value}, trde_tp="0")
    status, rc, msg = error_of(api.call("kt10000", body))
    assert (status, rc) == (200, 2) and f"[1517:입력 값 형식이 올바르지 않습니다. 파라미터={field} " in msg


def test_unknown_code_1902(api):
    status, rc, msg = error_of(api.call("ka10001", {"stk_cd": "999999"}))
    assert (status, rc) == (200, 2) and "[1902:" in msg


def test_bad_token_8005_is_http_200(api):
    status, rc, msg = error_of(api.call("kt00001", {"qry_tp": "3"}, token="not-a-token"))
    assert (status, rc, msg) == (200, 3, "인증에 실패했습니다[8005:Token이 유효하지 않습니다]")


def test_bad_keys_8001(clock):
    with SimServer(SimConfig(rate_limit=None, static=True, fixed_keys=("good", "pair")), clock=clock) as sim:
        api = Api(sim)
        r = api.http.post(sim.rest_url + "/oauth2/token",
                          json={"grant_type": "client_credentials", "appkey": "good", "secretkey": "wrong"})
        status, rc, msg = error_of(r)
        assert (status, rc) == (200, 3) and msg.startswith("인증에 실패했습니다[8001:")
        assert api.login("good", "pair")


def test_missing_keys_8020(sim):
    r = Api(sim).http.post(sim.rest_url + "/oauth2/token", json={"grant_type": "client_credentials"})
    assert "[8020:" in error_of(r)[2]


def test_rejection_rc20_off_grid(api, sim):
    inst = instrument(sim)
    status, rc, msg = error_of(api.call("kt10000", dict(ORDER, trde_tp="0", ord_uv=str(inst.price + 1))))
    assert (status, rc, msg) == (200, 20, "[2000](RC4003:모의투자 호가단위 오류입니다.)")


def test_unknown_venue_1517_and_sell_without_shares(api):
    # the simulator plays the real broker: NXT and SOR are taken (mock answers them RC9000)
    status, rc, msg = error_of(api.call("kt10000", dict(ORDER, dmst_stex_tp="NYSE")))
    assert (status, rc) == (200, 2) and "[1517:" in msg and "dmst_stex_tp" in msg
    assert api.call("kt10000", dict(ORDER, dmst_stex_tp="NXT")).json()["dmst_stex_tp"] == "NXT"
    api.call("kt10001", dict(ORDER, dmst_stex_tp="NXT"))  # sells the share just bought
    assert error_of(api.call("kt10001", ORDER))[1:] == (20, "[2000](800033:모의투자 매도가능수량이 부족합니다.)")


def test_non_post_is_kiwoom_shaped(api):
    for method in ("GET", "PUT", "DELETE"):
        r = api.http.request(method, api.sim.rest_url + "/api/dostk/stkinfo", headers={"api-id": "ka10001"})
        status, _rc, msg = error_of(r)
        assert status == 405 and "[1999:" in msg and method in msg


def test_garbage_json_is_kiwoom_shaped(api):
    r = api.http.post(api.sim.rest_url + "/api/dostk/stkinfo", data=b"{not json",
                      headers={"api-id": "ka10001", "authorization": f"Bearer {api.token}"})
    status, rc, msg = error_of(r)
    assert (status, rc) == (200, 2) and "[1517:" in msg and "파라미터=body" in msg
    r = api.http.post(api.sim.rest_url + "/api/dostk/stkinfo", data=b"[1,2]",
                      headers={"api-id": "ka10001", "authorization": f"Bearer {api.token}"})
    assert "[1517:" in error_of(r)[2]


def test_unknown_path_is_kiwoom_shaped(api):
    r = api.http.post(api.sim.rest_url + "/nowhere", json={})
    status, _rc, msg = error_of(r)
    assert status == 404 and "[1999:" in msg


def test_handler_exception_is_1999_and_reraised_by_exit(clock):
    sim = SimServer(SimConfig(rate_limit=None, static=True), clock=clock)
    with pytest.raises(ZeroDivisionError), sim:
        api = Api(sim)
        api.login()

        def boom(code):
            raise ZeroDivisionError("simulated bug")

        sim.call(lambda: setattr(sim.ctx.exchange, "instrument", boom))
        r = api.call("ka10001", {"stk_cd": "005930"})
        status, _rc, msg = error_of(r)
        assert status == 500 and msg.startswith("예기치 못한 에러가 발생했습니다[1999:")
        assert "Traceback" not in r.text and "simulated bug" not in r.text
