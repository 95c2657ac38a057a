"""The simulator's socket manners on demand: fault bare_ping, POST /sim/frame, CNSRLST before CNSRREQ."""

from __future__ import annotations

import base64

import requests
import websocket

from tests.kit.sim import APP_KEY, SECRET
from tests.kit.wire import WsClient, make_server


def _raw_frames(c: WsClient, count: int, timeout: float = 5.0) -> list[bytes]:
    """The next `count` text frames as the bytes that came (no JSON parsing)."""
    c.ws.settimeout(timeout)
    frames = []
    while len(frames) < count:
        opcode, data = c.ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise AssertionError(f"closed after {frames}")
        frames.append(data)
    return frames


def test_bare_ping_fault_sends_bare_text_and_takes_its_echo(clock):
    with make_server(clock, ping_interval_s=0.05, ping_misses=2) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        c = WsClient(sim.ws_url)
        try:
            assert c.login(token)["return_code"] == 0
            answer = requests.post(f"{sim.rest_url}/sim/fault", json={"kind": "bare_ping", "count": 4}, timeout=5)
            assert answer.status_code == 200, answer.text
            bare = 0
            while bare < 4:  # more bare PINGs than ping_misses: only the echoes keep the socket
                [data] = _raw_frames(c, 1)
                if data == b"PING":
                    bare += 1
                c.ws.send(data)  # echoed as it came
            assert _raw_frames(c, 1) == [b'{"trnm":"PING"}']  # the fault is used up
            assert sim.call(lambda: sim._hub.bare_echoes) >= 4
        finally:
            c.close()


def test_unanswered_bare_pings_close_the_socket(clock):
    with make_server(clock, ping_interval_s=0.05, ping_misses=2) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        c = WsClient(sim.ws_url, echo_ping=False)
        try:
            assert c.login(token)["return_code"] == 0
            sim.fault("bare_ping", 10)
            c.ws.settimeout(5)
            seen = []
            while True:
                opcode, data = c.ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                seen.append(data)
        finally:
            c.close()
    assert seen[0] == b"PING" and b"R10002" in seen[-1]


def test_sim_frame_pushes_exact_bytes_to_every_socket(sim, clients, token):
    first, second = clients(), clients()
    assert first.login(token)["return_code"] == 0
    other = sim.call(sim.ctx.exchange.issue_token, "other-app-key", SECRET)[0]
    assert second.login(other)["return_code"] == 0
    hostile = b'{"trnm":"REAL","data":[{"values":{"10":"\xff\xfe' + b"9" * 5000 + b'"}}]}'
    answer = requests.post(f"{sim.rest_url}/sim/frame",
                           json={"base64": base64.b64encode(hostile).decode()}, timeout=5)
    assert answer.json() == {"bytes": len(hostile), "sockets": 2}
    assert _raw_frames(first, 1) == [hostile] and _raw_frames(second, 1) == [hostile]
    requests.post(f"{sim.rest_url}/sim/frame", json={"text": '{"trnm": ["REAL"]}'}, timeout=5)
    assert _raw_frames(first, 1) == ['{"trnm": ["REAL"]}'.encode()]


def test_sim_frame_refuses_bad_input(sim):
    for body in ({}, {"text": 5}, {"base64": "not base64!"}):
        answer = requests.post(f"{sim.rest_url}/sim/frame", json=body, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"]


def test_cnsrreq_before_the_cnsrlst_answer_is_counted(clock):
    with make_server(clock, cnsrlst_delay_s=0.3) as sim:
        token = sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]
        c = WsClient(sim.ws_url)
        try:
            assert c.login(token)["return_code"] == 0
            c.send({"trnm": "CNSRLST"})
            c.send({"trnm": "CNSRREQ", "seq": "1", "search_type": "1", "stex_tp": "K"})  # too early
            c.reply("CNSRLST")  # the early CNSRREQ was answered before it, as usual
            assert [f["trnm"] for f in c.seen if f["trnm"] != "PING"] == ["LOGIN", "CNSRREQ", "CNSRLST"]
            c.send({"trnm": "CNSRREQ", "seq": "2", "search_type": "1", "stex_tp": "K"})  # after the answer
            assert c.reply("CNSRREQ")["return_code"] == 0
            assert sim.call(lambda: sim._hub.cond.early_requests) == 1
        finally:
            c.close()
