"""Fixtures for the simulator server tests: a real SimServer on 127.0.0.1 port 0, plain requests."""

from __future__ import annotations

import pytest
import requests

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

APPKEY = "test-appkey"
SECRET = "test-secret"

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

    def login(self, appkey: str = APPKEY, secret: str = SECRET) -> str:
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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock):
    """A static market (prices move only when told), limits off, manual clock."""
    with SimServer(SimConfig(rate_limit=None, static=True, seed=7), clock=clock) as server:
        yield server


@pytest.fixture
def api(sim) -> Api:
    a = Api(sim)
    a.login()
    return a


def instrument(sim: SimServer, code: str = "005930"):
    return sim.call(lambda: sim.ctx.exchange.instrument(code))
