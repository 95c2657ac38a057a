"""Hand-spoken clients for testing the simulator itself: plain requests (REST) and websocket-client
(WebSocket) over real sockets, speaking the wire protocol by hand rather than through our client."""

from __future__ import annotations

import json
from typing import Callable

import requests
import websocket

from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer
from tests.kit.sim import APP_KEY, SECRET

PATHS = {
    "ka10001": "/api/dostk/stkinfo", "ka10095": "/api/dostk/stkinfo", "ka10007": "/api/dostk/mrkcond",
    "kt00001": "/api/dostk/acnt", "kt00018": "/api/dostk/acnt", "ka10075": "/api/dostk/acnt",
    "ka10076": "/api/dostk/acnt", "kt10000": "/api/dostk/ordr", "kt10001": "/api/dostk/ordr",
    "kt10002": "/api/dostk/ordr", "kt10003": "/api/dostk/ordr",
}


class Api:
    """A thin requests wrapper speaking the wire protocol by hand (not our client)."""

    def __init__(self, sim: SimServer) -> None:
        self.sim = sim
        self.http = requests.Session()
        self.http.trust_env = False
        self.token = ""

    def login(self, appkey: str = APP_KEY, secret: str = SECRET) -> str:
        r = self.http.post(self.sim.rest_url + "/oauth2/token",
                           json={"grant_type": "client_credentials", "appkey": appkey, "secretkey": secret})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self.token

    def call(self, api_id: str, body: dict, *, path: str | None = None, headers: dict | None = None,
             token: str | None = None) -> requests.Response:
        h = {"api-id": api_id, "authorization": f"Bearer {self.token if token is None else token}",
             "content-type": "application/json;charset=UTF-8"}
        h.update(headers or {})
        return self.http.post(self.sim.rest_url + (path or PATHS[api_id]), json=body, headers=h)

    def ok(self, api_id: str, body: dict, **kw) -> dict:
        r = self.call(api_id, body, **kw)
        data = r.json()
        assert r.status_code == 200 and data["return_code"] == 0, (r.status_code, data)
        return data

    def buy(self, code: str = "005930", qty: int = 1, price: int | None = None) -> str:
        body = {"dmst_stex_tp": "KRX", "stk_cd": code, "ord_qty": str(qty),
                "ord_uv": "" if price is None else str(price), "trde_tp": "3" if price is None else "0",
                "cond_uv": ""}
        return self.ok("kt10000", body)["ord_no"]

    def sell(self, code: str = "005930", qty: int = 1, price: int | None = None) -> str:
        body = {"dmst_stex_tp": "KRX", "stk_cd": code, "ord_qty": str(qty),
                "ord_uv": "" if price is None else str(price), "trde_tp": "3" if price is None else "0",
                "cond_uv": ""}
        return self.ok("kt10001", body)["ord_no"]


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
