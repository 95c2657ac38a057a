"""Condition search over real sockets: CNSRLST, CNSRREQ 0 (paged) and 1, 02 pushes, CNSRCLR."""

from __future__ import annotations

import pytest

from kiwoom_cli import market
from tests.kit.helpers import fixture
from tests.kit.sim import APP_KEY, SECRET, instrument
from tests.kit.wire import WsClient, make_server


def codes_in_market(sim) -> list[str]:
    return [i.code for i in sim.call(sim.ctx.exchange.instruments)][:5]


def test_cnsrlst_lists_every_condition_as_pairs(sim, client):
    client.send({"trnm": "CNSRLST"})
    reply = client.reply("CNSRLST")
    expected = [[c.seq, c.name] for c in sim.call(sim.ctx.exchange.conditions)]
    assert reply["return_code"] == 0 and reply["data"] == expected and len(expected) >= 5
    assert set(reply) == set(fixture("ws/cnsrlst.json")["body"])


def test_cnsrreq_search_pages_with_cont_yn_and_next_key(clock):
    with make_server(clock, cnsr_page_size=2) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        codes = codes_in_market(sim)
        for code in codes:
            sim.push_condition("1", code, "I")
        expected = sim.call(sim.ctx.exchange.condition_matches, "1")
        assert len(expected) >= 5
        c = WsClient(sim.ws_url)
        try:
            assert c.login(token)["return_code"] == 0
            pages, request = [], {"trnm": "CNSRREQ", "seq": "1", "search_type": "0", "stex_tp": "K",
                                  "cont_yn": "N", "next_key": ""}
            while True:
                c.send(request)
                page = c.reply("CNSRREQ")
                assert page["return_code"] == 0 and len(page["data"]) <= 2
                pages.append(page)
                if page["cont_yn"] != "Y":
                    break
                request = {**request, "cont_yn": "Y", "next_key": page["next_key"]}
        finally:
            c.close()
    rows = [row for p in pages for row in p["data"]]
    assert [r["9001"] for r in rows] == ["A" + code for code in expected]
    assert pages[-1]["next_key"] == "" and all(p["cont_yn"] == "Y" for p in pages[:-1])
    for row in rows:
        assert all(len(row[f]) == 9 for f in ("10", "11", "12", "13", "16", "17", "18"))


def test_cnsrreq_realtime_lists_matches_then_pushes_02_until_cleared(sim, client, clients):
    codes = codes_in_market(sim)
    sim.push_condition("2", codes[0], "I")
    client.send({"trnm": "CNSRREQ", "seq": "2", "search_type": "1", "stex_tp": "K"})
    reply = client.reply("CNSRREQ")
    assert reply["return_code"] == 0 and reply["seq"] == "2"
    assert {"jmcode": "A" + codes[0]} in reply["data"]

    sim.push_condition("2", codes[1], "I")
    sim.push_condition("2", codes[0], "D")
    pushes = []
    while len(pushes) < 2:
        pushes += [e for e in client.real()["data"] if e["type"] == "02"]
    assert [(p["item"], p["values"]["843"], p["values"]["841"]) for p in pushes] == [
        (codes[1], "I", "2"), (codes[0], "D", "2")]
    assert all(p["name"] == "조건검색" and p["values"]["9001"] == p["item"] for p in pushes)

    client.send({"trnm": "CNSRCLR", "seq": "2"})
    assert client.reply("CNSRCLR") == fixture("ws/cnsrclr.json")["body"] | {"seq": "2"}
    client.send({"trnm": "CNSRREQ", "seq": "3", "search_type": "1", "stex_tp": "K"})
    assert client.reply("CNSRREQ")["return_code"] == 0
    sim.push_condition("2", codes[2], "I")  # cleared: must not arrive
    sim.push_condition("3", codes[3], "I")  # marker that does
    seen = []
    while not any(p["values"]["841"] == "3" for p in seen):
        seen += [e for e in client.real()["data"] if e["type"] == "02"]
    assert [p["values"]["841"] for p in seen] == ["3"]


def test_condition_pushes_reach_only_subscribed_connections(sim, client, clients):
    other = clients()
    other_token = sim.call(sim.ctx.exchange.issue_token, "another-key", SECRET)[0]
    assert other.login(other_token)["return_code"] == 0
    codes = codes_in_market(sim)
    for c, seq in ((client, "0"), (other, "4")):
        c.send({"trnm": "CNSRREQ", "seq": seq, "search_type": "1", "stex_tp": "K"})
        assert c.reply("CNSRREQ")["return_code"] == 0
    sim.push_condition("0", codes[0], "I")
    sim.push_condition("4", codes[1], "I")
    assert [e["values"]["841"] for e in other.real()["data"]] == ["4"]
    assert [e["values"]["841"] for e in client.real()["data"]] == ["0"]


@pytest.mark.parametrize("request_", [
    {"trnm": "CNSRREQ", "seq": "999", "search_type": "0", "stex_tp": "K"},
    {"trnm": "CNSRREQ", "seq": "999", "search_type": "1", "stex_tp": "K"},
    {"trnm": "CNSRREQ", "seq": "1", "search_type": "7", "stex_tp": "K"},
    {"trnm": "CNSRREQ", "search_type": "0"},
])
def test_bad_condition_requests_get_a_nonzero_return_code(client, request_):
    client.send(request_)
    reply = client.reply("CNSRREQ")
    assert reply["return_code"] != 0 and reply["return_msg"]


def test_price_moves_publish_condition_changes(sim, client):
    """Real evaluation (not forced): every change the exchange publishes reaches the subscriber."""
    got = []
    sim.call(lambda: sim.ctx.listeners.append(lambda e: got.append(e) if hasattr(e, "seq") else None))
    for seq in [c.seq for c in sim.call(sim.ctx.exchange.conditions)]:
        client.send({"trnm": "CNSRREQ", "seq": seq, "search_type": "1", "stex_tp": "K"})
        assert client.reply("CNSRREQ")["return_code"] == 0
    code = codes_in_market(sim)[0]
    inst = instrument(sim, code)
    target = market.round_down_to_tick(min(inst.upper_limit, int(inst.base_price * 1.2)))
    price = inst.price
    while price < target:
        price = min(target, market.add_ticks(price, 10))
        sim.set_price(code, price)
    events = sim.call(lambda: list(got))
    assert events, "a 20 % rise should move the stock into some condition"
    pushes = []
    while len(pushes) < len(events):
        pushes += [e for e in client.real()["data"] if e["type"] == "02"]
    assert [(p["values"]["841"], p["item"], p["values"]["843"]) for p in pushes] == [
        (e.seq, e.code, e.event) for e in events]
