"""A Kiwoom client written by someone else (PyPI `kiwoom-client` 0.4.0) against our simulator.

Issue #3's "done when": a third-party client pointed at the simulator's URLs can issue a token,
read a quote and the account, place, amend and cancel an order, and list and subscribe to
conditions over the socket without errors. This test is that client, used as its README shows,
with the simulator's default limits on (1 request/s per api-id, burst 2, as the broker).
"""

from __future__ import annotations

import asyncio

import pytest

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

kiwoom_client = pytest.importorskip("kiwoom_client", reason="install the test extra: pip install -e '.[test]'")


@pytest.fixture
def sim():
    with SimServer(SimConfig(static=True, seed=1)) as server:
        yield server


def test_rest_token_quote_account_order_amend_cancel(sim):
    with kiwoom_client.KiwoomAPI("third-party-key", "third-party-secret", base_url=sim.rest_url) as api:
        api.login()

        quote = api.stock_info.basic_stock_info(stk_cd="005930")
        assert quote["return_code"] == 0 and quote["stk_nm"] == "삼성전자"
        price = abs(int(quote["cur_prc"]))

        deposit = api.account.deposit_detail(qry_tp="3")
        assert deposit["return_code"] == 0 and int(deposit["ord_alow_amt"]) > 0

        bought = api.order.buy_order(dmst_stex_tp="KRX", stk_cd="005930", ord_qty="3", ord_uv="", trde_tp="3",
                                     cond_uv="")
        assert bought["return_code"] == 0 and bought["ord_no"]

        balance = api.account.evaluation_balance_detail(qry_tp="1", dmst_stex_tp="KRX")
        rows = balance["acnt_evlt_remn_indv_tot"]
        assert [(r["stk_cd"], int(r["rmnd_qty"])) for r in rows] == [("A005930", 3)]

        # A limit sell well above the market rests; amend it, then cancel what remains.
        limit = price + 20 * 100
        sold = api.order.sell_order(dmst_stex_tp="KRX", stk_cd="005930", ord_qty="2", ord_uv=str(limit),
                                    trde_tp="0", cond_uv="")
        assert sold["return_code"] == 0
        amended = api.order.modify_order(dmst_stex_tp="KRX", orig_ord_no=sold["ord_no"], stk_cd="005930",
                                         mdfy_qty="2", mdfy_uv=str(limit + 100), mdfy_cond_uv="")
        assert amended["return_code"] == 0 and amended["base_orig_ord_no"] == sold["ord_no"]
        cancelled = api.order.cancel_order(dmst_stex_tp="KRX", orig_ord_no=amended["ord_no"], stk_cd="005930",
                                           cncl_qty="0")
        assert cancelled["return_code"] == 0 and cancelled["ord_no"] not in (sold["ord_no"], amended["ord_no"])

        open_orders = api.account.unfilled_orders(all_stk_tp="0", trde_tp="0", stk_cd="", stex_tp="0")
        assert open_orders["return_code"] == 0
        assert not [o for o in open_orders.get("oso", []) if int(o["oso_qty"]) > 0]

    api_ids = [entry["api_id"] for entry in sim.order_log]
    assert api_ids == ["kt10000", "kt10001", "kt10002", "kt10003"]
    # The third-party client's own limiter kept it inside the broker's budget: no 429 at all.
    assert all(entry["status"] != 429 for entry in sim.request_log)


def test_socket_conditions_list_search_and_realtime_push(sim):
    async def session() -> tuple[dict, dict, dict]:
        with kiwoom_client.KiwoomAPI("third-party-key", "third-party-secret", base_url=sim.rest_url) as api:
            api.login()
            ws = kiwoom_client.KiwoomWebSocket(api._auth.token, ws_url=sim.ws_url)
            await ws.connect()
            replies: asyncio.Queue = asyncio.Queue()
            pushes: asyncio.Queue = asyncio.Queue()
            for trnm in ("CNSRLST", "CNSRREQ"):
                ws.on_trnm(trnm, replies.put)
            ws.on("02", pushes.put)
            listener = asyncio.ensure_future(ws.listen())
            try:
                await ws.send(api.condition_search.condition_list())
                listed = await asyncio.wait_for(replies.get(), 10)
                await ws.send(api.condition_search.condition_search_realtime("0"))
                subscribed = await asyncio.wait_for(replies.get(), 10)
                await asyncio.get_running_loop().run_in_executor(None, sim.push_condition, "0", "000660", "I")
                pushed = await asyncio.wait_for(pushes.get(), 10)
            finally:
                await ws.disconnect()
                listener.cancel()
            return listed, subscribed, pushed

    listed, subscribed, pushed = asyncio.run(session())
    assert listed["return_code"] == 0
    names = {seq: name for seq, name in listed["data"]}
    assert names["0"] == "급등주 포착" and len(names) >= 5
    assert subscribed["return_code"] == 0 and isinstance(subscribed["data"], list)
    assert pushed["values"]["841"] == "0" and pushed["values"]["9001"] == "000660"
    assert pushed["values"]["843"] == "I"
