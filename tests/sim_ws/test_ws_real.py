"""REG/REMOVE and REAL fan-out over real sockets: 0B trades, 00 orders, 04 positions, batching."""

from __future__ import annotations

import requests

from kiwoom_cli import market
from kiwoom_cli.sim.domain import SimConfig
from tests.kit.helpers import fixture
from tests.kit.sim import APP_KEY, SECRET, instrument
from tests.kit.wire import WsClient, make_server


def entries(frame: dict, rt: str | None = None) -> list[dict]:
    return [e for e in frame["data"] if rt is None or e["type"] == rt]


def next_entries(client, rt: str, n: int = 1) -> list[dict]:
    """Collect REAL entries of one type until there are at least n (frames may batch several)."""
    got: list[dict] = []
    while len(got) < n:
        got += entries(client.real(), rt)
    return got


def up_ticks(sim, code: str, n: int = 1) -> int:
    return market.add_ticks(instrument(sim, code).price, n)


def test_reg_and_remove_ack_with_the_official_shape(client):
    assert client.reg(["00"], [""]) == {"trnm": "REG", "return_code": 0, "return_msg": ""}
    assert client.reg(["04"], [])["return_code"] == 0
    assert client.reg(["0B", "0D"], ["005930", "000660"], grp_no="2")["return_code"] == 0
    assert client.remove(["0B"], ["000660"], grp_no="2") == {
        "trnm": "REMOVE", "return_code": 0, "return_msg": ""}


def test_reg_without_item_for_a_quote_type_is_rejected(client):
    ack = client.reg(["0B"], [""])
    assert ack["return_code"] == 1 and ack["return_msg"]


def test_registration_cap_rejects_with_the_overflow_frame(clock):
    with make_server(clock, reg_limit=2) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        c = WsClient(sim.ws_url)
        try:
            assert c.login(token)["return_code"] == 0
            assert c.reg(["0B"], ["005930", "000660"])["return_code"] == 0
            assert c.reg(["0B"], ["035420"], grp_no="2") == fixture("ws/reg.overflow.json")["body"]
            assert c.reg(["0B"], ["035420"], refresh="0")["return_code"] == 0  # group 1 now 1 item
        finally:
            c.close()


def test_0b_after_set_price_only_to_subscribers_of_the_code(sim, client, clients):
    other = clients()
    other_token = sim.call(sim.ctx.exchange.issue_token, "another-key", SECRET)[0]
    assert other.login(other_token)["return_code"] == 0
    assert other.reg(["0B"], ["000660"])["return_code"] == 0
    assert client.reg(["0B"], ["005930"])["return_code"] == 0

    price = up_ticks(sim, "005930")
    sim.set_price("005930", price)
    [entry] = next_entries(client, "0B")
    assert entry["item"] == "005930" and entry["name"] == "주식체결"
    assert entry["values"]["10"].lstrip("+-") == str(price)

    sim.set_price("000660", up_ticks(sim, "000660"))
    frame = other.real()
    assert [e["item"] for e in frame["data"]] == ["000660"]  # never got 005930's trade


def test_remove_stops_0b(sim, client):
    assert client.reg(["0B"], ["005930", "000660"])["return_code"] == 0
    assert client.remove(["0B"], ["005930"])["return_code"] == 0
    sim.set_price("005930", up_ticks(sim, "005930"))
    sim.set_price("000660", up_ticks(sim, "000660"))  # marker: arrives after anything for 005930
    items = []
    while "000660" not in items:
        items += [e["item"] for e in client.real()["data"]]
    assert items == ["000660"]


def test_refresh_zero_replaces_the_group(sim, client):
    assert client.reg(["0B"], ["005930"])["return_code"] == 0
    assert client.reg(["0B"], ["000660"], refresh="0")["return_code"] == 0
    sim.set_price("005930", up_ticks(sim, "005930"))
    sim.set_price("000660", up_ticks(sim, "000660"))
    items = []
    while "000660" not in items:
        items += [e["item"] for e in client.real()["data"]]
    assert items == ["000660"]


def test_events_of_one_loop_turn_share_one_real_frame(sim, client):
    codes = ["005930", "000660", "035420"]
    assert client.reg(["0B"], codes)["return_code"] == 0
    prices = {c: up_ticks(sim, c) for c in codes}
    sim.call(lambda: [sim.ctx.exchange.set_price(c, p) for c, p in prices.items()])
    frame = client.real()
    assert [e["item"] for e in frame["data"]] == codes


def test_market_buy_over_rest_gives_00_accept_fill_and_04(sim, client, token):
    assert client.reg(["00", "04"], [""])["return_code"] == 0
    http = requests.Session()
    http.trust_env = False
    r = http.post(sim.rest_url + "/api/dostk/ordr", json={
        "dmst_stex_tp": "KRX", "stk_cd": "005930", "ord_qty": "10", "ord_uv": "", "trde_tp": "3",
        "cond_uv": ""}, headers={"api-id": "kt10000", "authorization": f"Bearer {token}"})
    assert r.json()["return_code"] == 0, r.text
    order_no = r.json()["ord_no"]
    orders: list[dict] = []
    positions: list[dict] = []
    while sum(int(o["values"]["915"] or 0) for o in orders) < 10 or not positions:
        frame = client.real()
        orders += entries(frame, "00")
        positions += entries(frame, "04")
    accept, fills = orders[0]["values"], [o["values"] for o in orders[1:]]
    assert (accept["913"], accept["9203"], accept["904"], accept["902"], accept["905"]) == (
        "접수", order_no, "0000000", "10", "+매수")
    assert all(f["913"] == "체결" and f["909"] and f["9203"] == order_no for f in fills)
    assert fills[-1]["902"] == "0" and fills[-1]["911"] == "10"
    assert int(fills[-1]["903"]) == sum(int(f["914"]) * int(f["915"]) for f in fills)
    last = positions[-1]["values"]
    assert positions[-1]["name"] == "현물잔고" and last["9001"] == "005930" and last["930"] == "10"
    assert last["946"] == "2"


def test_limit_order_cancel_gives_accept_then_confirm(sim, client):
    assert client.reg(["00"], [""])["return_code"] == 0
    ex = sim.ctx.exchange
    low = market.add_ticks(instrument(sim).price, -5)
    placed = sim.call(ex.place_order, APP_KEY, "buy", "005930", 3, low, "0")
    cancel = sim.call(ex.cancel_order, APP_KEY, placed.order_no, "005930", 0)
    steps = [e["values"] for e in next_entries(client, "00", 3)]
    assert [(s["913"], s["905"]) for s in steps] == [
        ("접수", "+매수"), ("접수", "매수취소"), ("확인", "매수취소")]
    assert steps[1]["9203"] == cancel.order_no and steps[1]["904"] == placed.order_no


def test_limit_order_amend_gives_accept_then_confirm_under_a_new_number(sim, client):
    assert client.reg(["00"], [""])["return_code"] == 0
    ex = sim.ctx.exchange
    low = market.add_ticks(instrument(sim).price, -5)
    placed = sim.call(ex.place_order, APP_KEY, "buy", "005930", 2, low, "0")
    amended = sim.call(ex.amend_order, APP_KEY, placed.order_no, "005930", 0,
                       market.add_ticks(low, -1))
    steps = [e["values"] for e in next_entries(client, "00", 3)]
    assert [(s["913"], s["905"], s["9203"]) for s in steps] == [
        ("접수", "+매수", placed.order_no), ("접수", "+매수정정", amended.order_no),
        ("확인", "매수정정", amended.order_no)]
    assert steps[2]["904"] == placed.order_no and steps[2]["901"] == str(market.add_ticks(low, -1))


def test_order_events_go_only_to_the_owning_app_key(sim, client, clients):
    other = clients()
    other_token = sim.call(sim.ctx.exchange.issue_token, "another-key", SECRET)[0]
    assert other.login(other_token)["return_code"] == 0
    assert other.reg(["00", "0B"], ["005930"])["return_code"] == 0
    assert client.reg(["00"], [""])["return_code"] == 0
    low = market.add_ticks(instrument(sim).price, -5)
    sim.call(sim.ctx.exchange.place_order, APP_KEY, "buy", "005930", 1, low, "0")
    assert next_entries(client, "00")[0]["values"]["913"] == "접수"
    sim.set_price("005930", up_ticks(sim, "005930"))  # marker for the other connection
    frame = other.real()
    assert [e["type"] for e in frame["data"]] == ["0B"]


def test_unregistered_account_types_get_nothing(sim, client):
    assert client.reg(["0B"], ["005930"])["return_code"] == 0
    low = market.add_ticks(instrument(sim).price, -5)
    sim.call(sim.ctx.exchange.place_order, APP_KEY, "buy", "005930", 1, low, "0")
    sim.set_price("005930", up_ticks(sim, "005930"))
    assert {e["type"] for e in client.real()["data"]} == {"0B"}


def test_simconfig_is_the_one_the_server_runs(sim):
    assert isinstance(sim.ctx.config, SimConfig) and sim.ctx.config.rate_limit is None
