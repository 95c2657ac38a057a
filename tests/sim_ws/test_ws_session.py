"""WebSocket session rules over real sockets: LOGIN, PING, R10001 kick, bad frames, drop_socket."""

from __future__ import annotations

import pytest

from kiwoom_cli import market
from tests.kit.helpers import fixture, wait_until
from tests.kit.sim import APP_KEY, SECRET
from tests.kit.wire import WsClient, make_server


def test_login_ok_reply_is_the_captured_one(clients, token):
    c = clients()
    assert c.login(token) == fixture("ws/login.response.json")["body"]
    assert c.reg(["00"], [""])["return_code"] == 0


def test_login_with_bad_token_gets_805004_then_close(clients):
    c = clients()
    c.send({"trnm": "LOGIN", "token": "not-a-token"})
    frames = c.wait_closed()
    assert frames == [fixture("errors/ws-login-805004.json")["body"]]


def test_login_with_expired_token_fails(sim, clients, token):
    sim.call(sim.ctx.exchange.expire_all_tokens)
    c = clients()
    assert c.login(token)["return_code"] == 805004


def test_frames_before_login_get_100013(clients, token):
    c = clients()
    c.send({"trnm": "CNSRLST"})
    before = c.reply("CNSRLST")
    assert before["return_code"] == 100013
    assert c.login(token)["return_code"] == 0
    c.send({"trnm": "CNSRLST"})
    assert c.reply("CNSRLST")["return_code"] == 0


def test_no_login_within_deadline_gets_r10004_and_close(clock):
    with make_server(clock, login_timeout_s=0.2) as sim:
        c = WsClient(sim.ws_url)
        try:
            frames = c.wait_closed()
        finally:
            c.close()
    assert frames == [fixture("ws/system-R10004.json")["body"]]


def test_ping_echoed_keeps_the_socket_and_silence_closes_it(clock):
    with make_server(clock, ping_interval_s=0.1, ping_misses=3) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        c = WsClient(sim.ws_url, echo_ping=True)
        try:
            assert c.login(token)["return_code"] == 0
            for _ in range(6):  # 6 pings answered: more than ping_misses, still connected
                assert c.reply("PING") == fixture("ws/ping.json")["body"]
            assert not any(f.get("trnm") == "SYSTEM" for f in c.seen)
            c.echo_ping = False
            frames = c.wait_closed()
        finally:
            c.close()
    pings = [f for f in frames if f.get("trnm") == "PING"]
    # ping_misses unanswered PINGs (one more if our last echo crossed the next PING)
    assert 3 <= len(pings) <= 4
    assert frames[-1] == fixture("ws/system-R10002.json")["body"]


def test_second_login_with_same_app_key_kicks_the_first(clients, token):
    first = clients()
    assert first.login(token)["return_code"] == 0
    second = clients()
    assert second.login(token)["return_code"] == 0
    frames = first.wait_closed()
    assert frames[-1]["trnm"] == "SYSTEM" and frames[-1]["code"] == "R10001"
    assert set(frames[-1]) == {"trnm", "code", "message"}
    assert second.reg(["00"], [""])["return_code"] == 0


def test_other_app_key_is_not_kicked(sim, clients, token):
    first = clients()
    assert first.login(token)["return_code"] == 0
    other = sim.call(sim.ctx.exchange.issue_token, "another-key", SECRET)[0]
    second = clients()
    assert second.login(other)["return_code"] == 0
    assert first.reg(["00"], [""])["return_code"] == 0


@pytest.mark.parametrize("raw,trnm", [("not json", "ERROR"), ('{"no":"trnm"}', "ERROR"),
                                      ("[1,2]", "ERROR"), ('{"trnm":"BOGUS"}', "BOGUS")])
def test_malformed_frames_get_an_error_and_the_socket_stays(client, raw, trnm):
    client.send(raw)
    err = client.reply(trnm)
    assert err["return_code"] != 0 and err["return_msg"]
    assert client.reg(["04"], [])["return_code"] == 0


def test_drop_socket_fault_cuts_every_connection(sim, clients, token):
    a = clients()
    assert a.login(token)["return_code"] == 0
    other = sim.call(sim.ctx.exchange.issue_token, "another-key", SECRET)[0]
    b = clients()
    assert b.login(other)["return_code"] == 0
    sim.fault("drop_socket")
    a.wait_closed()
    b.wait_closed()
    wait_until(lambda: not sim.call(lambda: len(sim._hub.conns)), message="hub forgets dropped sockets")
    c = clients()  # the server still accepts new connections
    assert c.login(token)["return_code"] == 0


def test_server_stop_closes_sockets_with_going_away(clock):
    sim = make_server(clock)
    sim.start()
    token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
    c = WsClient(sim.ws_url)
    try:
        assert c.login(token)["return_code"] == 0
        sim.stop()
        c.ws.settimeout(5)
        opcode, frame = c.ws.recv_data(control_frame=True)
        assert opcode == 0x8 and int.from_bytes(frame[:2], "big") == 1001
    finally:
        c.close()
        sim.stop()


def test_a_reader_too_far_behind_is_cut_off_and_others_keep_going(clock):
    with make_server(clock, ws_outbox_limit=50) as sim:
        ex = sim.ctx.exchange
        slow, fast = WsClient(sim.ws_url), WsClient(sim.ws_url)
        try:
            assert slow.login(sim.call(ex.issue_token, APP_KEY, SECRET)[0])["return_code"] == 0
            assert fast.login(sim.call(ex.issue_token, "another-key", SECRET)[0])["return_code"] == 0
            code = sim.call(ex.instruments)[0].code
            assert slow.reg(["0B"], [code])["return_code"] == 0
            inst = sim.call(ex.instrument, code)
            prices = [inst.base_price, market.add_ticks(inst.base_price, 1)] * 40  # 80 > 50 in one turn
            sim.call(lambda: [ex.set_price(code, p) for p in prices])
            slow.wait_closed()
            assert fast.reg(["0B"], [code])["return_code"] == 0
            sim.set_price(code, inst.base_price)
            assert fast.real()["data"][0]["item"] == code
        finally:
            slow.close()
            fast.close()
