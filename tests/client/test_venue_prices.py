"""Prices on the venue a run trades: REG 0B and quotes by CODE_NX / CODE_AL, answers keyed by the bare
code, against the simulator over real sockets (KRX's hours and NXT's sessions: `kiwoom sim --hours krx`)."""

from __future__ import annotations

import datetime as dt
import json
import queue

import pytest
import websocket

from kiwoom_cli.clock import KST, OffsetClock
from kiwoom_cli.kiwoom import parsers, wsparsers
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import Tick
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.instruments import NOT_ON_NXT
from kiwoom_cli.sim.server import SimServer
from tests.kit.helpers import wait_until
from tests.kit.sim import endpoint, rest_client

CODE = "005930"
AFTER_MARKET = dt.datetime(2026, 11, 25, 16, 0, tzinfo=KST)  # KRX closed, NXT's after-market open


@pytest.fixture
def sim():
    with SimServer(SimConfig(rate_limit=None, static=True, always_open=False), clock=OffsetClock(AFTER_MARKET)) as s:
        yield s


def items(sim) -> set[str]:
    hub = sim._hub  # the test's own simulator: which 0B items some socket registered
    return sim.call(lambda: set(hub.by_code.subs))


def tick_of(events: queue.Queue, code: str) -> Tick:
    while True:
        event = events.get(timeout=10)
        if isinstance(event, Tick) and event.code == code:
            return event


@pytest.mark.parametrize("exchange, item", [("NXT", "005930_NX"), ("SOR", "005930_AL")])
def test_the_socket_registers_the_venues_code_and_its_ticks_come_keyed_by_the_bare_code(sim, tmp_path, exchange, item):
    events: queue.Queue = queue.Queue()
    with rest_client(sim, tmp_path) as rest:
        client = SocketClient(endpoint(sim), rest.token, events, exchange=exchange)
        client.start()
        try:
            client.register([CODE])
            assert items(sim) == {item} and client.registered == {CODE}
            sim.set_price(CODE, 97_600)  # 16:00: only NXT trades, and the integrated feed shows it
            assert tick_of(events, CODE).price == 97_600
            client.unregister([CODE])
            assert items(sim) == set()
        finally:
            client.stop()


def test_a_krx_registration_sees_no_trade_after_krx_hours_and_a_venue_registration_does(sim, tmp_path):
    """The simulator pushes a trade on each venue's feed only while that venue trades: one price per
    stock for every venue, so CODE, CODE_NX and CODE_AL carry the same price when they carry one."""
    with rest_client(sim, tmp_path) as rest:
        ws = websocket.create_connection(sim.ws_url, timeout=10)
        try:
            ws.send(json.dumps({"trnm": "LOGIN", "token": rest.token()}))
            assert json.loads(ws.recv())["return_code"] == 0
            small = sorted(NOT_ON_NXT)[0]
            reg = [CODE, f"{CODE}_NX", f"{CODE}_AL", f"{small}_NX", f"{small}_AL"]
            ws.send(json.dumps({"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [{"item": reg, "type": ["0B"]}]}))
            assert json.loads(ws.recv())["return_code"] == 0
            sim.set_price(small, sim.call(lambda: sim.ctx.exchange.instrument(small).price))
            sim.set_price(CODE, 97_600)
            seen = []
            while len(seen) < 2:
                frame = json.loads(ws.recv())
                if frame.get("trnm") == "REAL":
                    seen.extend(frame["data"])
        finally:
            ws.close()
    # KRX is shut at 16:00 and NXT does not trade `small` (its trade, pushed first, reached no item)
    assert [e["item"] for e in seen] == [f"{CODE}_NX", f"{CODE}_AL"]
    assert [(t.code, t.price) for t in map(wsparsers.parse_tick, seen)] == [(CODE, 97_600)] * 2


@pytest.mark.parametrize("exchange, asked", [("NXT", "005930_NX"), ("SOR", "005930_AL"), ("KRX", "005930")])
def test_quotes_ask_the_venues_code_and_answer_the_bare_code(sim, tmp_path, exchange, asked):
    with rest_client(sim, tmp_path, exchange=exchange) as rest:
        [many] = rest.quotes([CODE])
        one = rest.quote(CODE)
    bodies = [(r["api_id"], r["body"]["stk_cd"]) for r in sim.request_log if r["api_id"] in ("ka10095", "ka10007")]
    assert bodies == [("ka10095", asked), ("ka10007", asked)]
    assert (many.code, one.code) == (CODE, CODE) and many.price == one.price > 0


def test_an_answer_echoing_the_suffix_is_keyed_by_the_bare_code(sim, tmp_path):
    with rest_client(sim, tmp_path, exchange="NXT") as rest:
        rest.quotes([CODE])
    [answer] = [r for r in sim.request_log if r["api_id"] == "ka10095"]
    assert answer["result"]["atn_stk_infr"][0]["stk_cd"] == "005930_NX"  # the simulator echoes it
    row = {**answer["result"]["atn_stk_infr"][0]}
    assert [q.code for q in parsers.parse_quotes({"atn_stk_infr": [row], "return_code": 0})] == [CODE]


def test_the_registrations_are_restored_with_the_venues_code_after_a_reconnect(sim, tmp_path):
    events: queue.Queue = queue.Queue()
    with rest_client(sim, tmp_path) as rest:
        client = SocketClient(endpoint(sim), rest.token, events, exchange="NXT", backoff=(0.05, 0.5))
        client.start()
        try:
            client.register([CODE])
            sim.fault("drop_socket")  # the broker drops the line
            wait_until(lambda: items(sim) == {"005930_NX"} and client.connected, timeout=15,
                       message="re-registered as 005930_NX")
            sim.set_price(CODE, 97_700)
            assert tick_of(events, CODE).price == 97_700
        finally:
            client.stop()
