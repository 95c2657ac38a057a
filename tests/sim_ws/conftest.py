"""Fixtures for the simulator WebSocket tests: a real SimServer, websocket-client over real sockets."""

from __future__ import annotations

import json
from typing import Callable

import pytest
import websocket

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

APPKEY = "ws-test-appkey"
SECRET = "ws-test-secret"


class WsClient:
    """A plain websocket-client connection speaking the wire protocol by hand (not our client)."""

    def __init__(self, url: str, echo_ping: bool = True) -> None:
        self.ws = websocket.create_connection(
            url, timeout=5, skip_utf8_validation=True, http_no_proxy=["127.0.0.1", "localhost"])
        self.echo_ping = echo_ping
        self.seen: list[dict] = []  # every frame received, in order

    def send(self, frame: dict | str) -> None:
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))

    def recv(self, timeout: float = 5.0) -> dict:
        """Block for the next frame (PINGs are echoed verbatim and still returned)."""
        self.ws.settimeout(timeout)
        raw = self.ws.recv()
        if raw == "" or raw is None:
            raise websocket.WebSocketConnectionClosedException("closed")
        frame = json.loads(raw)
        self.seen.append(frame)
        if self.echo_ping and frame.get("trnm") == "PING":
            self.ws.send(raw)
        return frame

    def wait_for(self, pred: Callable[[dict], bool], timeout: float = 5.0) -> dict:
        """Read frames until one satisfies `pred`; fails on timeout or close."""
        while True:
            frame = self.recv(timeout)
            if pred(frame):
                return frame

    def reply(self, trnm: str, timeout: float = 5.0) -> dict:
        """Read frames until the reply with this trnm."""
        return self.wait_for(lambda f: f.get("trnm") == trnm, timeout)

    def real(self, timeout: float = 5.0) -> dict:
        return self.reply("REAL", timeout)

    def login(self, token: str) -> dict:
        self.send({"trnm": "LOGIN", "token": token})
        return self.reply("LOGIN")

    def reg(self, types: list[str], items: list[str], grp_no: str = "1", refresh: str = "1") -> dict:
        self.send({"trnm": "REG", "grp_no": grp_no, "refresh": refresh,
                   "data": [{"item": items, "type": types}]})
        return self.reply("REG")

    def remove(self, types: list[str], items: list[str], grp_no: str = "1") -> dict:
        self.send({"trnm": "REMOVE", "grp_no": grp_no, "data": [{"item": items, "type": types}]})
        return self.reply("REMOVE")

    def wait_closed(self, timeout: float = 5.0) -> list[dict]:
        """Read until the server closes the socket; return the frames received meanwhile."""
        frames = []
        try:
            while True:
                frames.append(self.recv(timeout))
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return frames

    def close(self) -> None:
        self.ws.close()


def make_server(clock, **extra) -> SimServer:
    config = SimConfig(rate_limit=None, static=True, seed=7, extra=extra)
    return SimServer(config, clock=clock)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock):
    """A static market (prices move only when told), limits off, default WebSocket timings."""
    with make_server(clock) as server:
        yield server


@pytest.fixture
def token(sim) -> str:
    return sim.call(sim.ctx.exchange.issue_token, APPKEY, SECRET)[0]


@pytest.fixture
def clients(sim):
    opened: list[WsClient] = []

    def connect(echo_ping: bool = True) -> WsClient:
        c = WsClient(sim.ws_url, echo_ping)
        opened.append(c)
        return c

    yield connect
    for c in opened:
        c.close()


@pytest.fixture
def client(clients, token) -> WsClient:
    """A logged-in connection."""
    c = clients()
    assert c.login(token)["return_code"] == 0
    return c


def instrument(sim: SimServer, code: str = "005930"):
    return sim.call(sim.ctx.exchange.instrument, code)
