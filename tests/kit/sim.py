"""Shared set-up for the tests against the simulator (real sockets on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

# The one pair of fake keys of every folder: the simulator accepts any and opens one account per key,
# so a test's own REST client and the `kiwoom` it starts share the account.
APP_KEY = "test-app-key-0123456789"  # long: never a substring of an api-id or a message
SECRET = "test-secret-key-0123456789"


def credentials() -> Credentials:
    return Credentials(APP_KEY, SECRET)


def endpoint(sim: SimServer) -> Endpoint:
    return Endpoint("sim", sim.rest_url, sim.ws_url)


@contextlib.contextmanager
def running_sim(clock=None, **config):
    """A static, always-open simulator with rate limits off unless asked for (on `clock` if given)."""
    config.setdefault("rate_limit", None)
    config.setdefault("static", True)
    with SimServer(SimConfig(**config), clock=clock) as sim:
        yield sim


def rest_client(sim: SimServer, tokens_dir: Path, **kw) -> RestClient:
    return RestClient(endpoint(sim), credentials(), tokens=TokenStore(tokens_dir), **kw)


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_ids(sim: SimServer) -> list[str]:
    return [entry.get("api_id") for entry in sim.request_log]


def arm(sim: SimServer, **fault) -> dict:
    """POST /sim/fault over real HTTP, as a test script would; return the control's JSON answer."""
    import http.client
    import json
    from urllib.parse import urlsplit

    where = urlsplit(sim.rest_url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
    try:
        conn.request("POST", "/sim/fault", json.dumps(fault), {"content-type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read() or b"{}")
    finally:
        conn.close()
    if response.status != 200:
        raise AssertionError(f"/sim/fault {fault}: HTTP {response.status} {answer}")
    return answer


def instrument(sim: SimServer, code: str = "005930"):
    """The simulator's view of a stock (price and limits) for computing expectations."""
    return sim.call(lambda: sim.ctx.exchange.instrument(code))


def orders_for(sim: SimServer, code: str, api_id: str | None = None) -> list[dict]:
    """The order requests the simulator received for one code (optionally of one api-id)."""
    return [o for o in sim.order_log if o["body"].get("stk_cd") == code
            and (api_id is None or o["api_id"] == api_id)]


def subscribed(sim: SimServer, *, code: str | None = None, seq: str | None = None) -> bool:
    """Tell whether some socket of the simulator has registered 0B for `code` / subscribed to `seq`."""
    hub = sim._hub  # the test's own simulator: its subscription index is the event we wait on
    if code is not None:
        return sim.call(lambda: bool(hub.by_code.get(code)))
    return sim.call(lambda: bool(hub.by_seq.get(seq)))
