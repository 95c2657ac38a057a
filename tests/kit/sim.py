"""The simulator on 127.0.0.1 port 0 and what tests ask of it: a client to it, faults, its logs.

One pair of fake keys for every folder: the simulator accepts any, and opens one account per key,
so a test's own REST client and the `kiwoom` it starts share the account.
"""

from __future__ import annotations

import contextlib
import queue
import socket
from pathlib import Path

from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.models import SocketStatus
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

APP_KEY = "test-app-key-0123456789"  # long: never a substring of an api-id or a message
SECRET = "test-secret-key-0123456789"


def credentials() -> Credentials:
    return Credentials(APP_KEY, SECRET)


def endpoint(sim: SimServer) -> Endpoint:
    return Endpoint("sim", sim.rest_url, sim.ws_url)


@contextlib.contextmanager
def running_sim(clock=None, **config):
    """A static, always-open simulator with rate limits off unless asked for; `clock`: its clock
    (default: the system's)."""
    config.setdefault("rate_limit", None)
    config.setdefault("static", True)
    with SimServer(SimConfig(**config), clock=clock) as sim:
        yield sim


def mock_env(sim: SimServer, **extra: str) -> dict[str, str]:
    """Mock mode pointed at the test's simulator with the kit's keys, the way a user would point it
    at a server (environment variables)."""
    return {"KIWOOM_MODE": "mock", "KIWOOM_REST_URL": sim.rest_url, "KIWOOM_WS_URL": sim.ws_url,
            "KIWOOM_APPKEY": APP_KEY, "KIWOOM_SECRETKEY": SECRET, **extra}


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


class Events:
    """Collects what a SocketClient's reader puts on its queue; waits (on the queue) for a matching event."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen: list = []

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "event"):
        for event in self.seen:
            if predicate(event):
                self.seen.remove(event)
                return event
        while True:
            try:
                event = self.queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {what} within {timeout}s; saw {self.seen[-10:]}") from None
            if predicate(event):
                return event
            self.seen.append(event)

    def status(self, state: str, detail: str | None = None) -> SocketStatus:
        return self.wait_for(
            lambda e: (
                isinstance(e, SocketStatus) and e.state == state and (detail is None or e.detail == detail)
            ),
            what=f"SocketStatus {state} {detail or ''}",
        )
