"""The kit's pytest fixtures. tests/conftest.py registers `sim_clock`, `sim` and `clock` for every
folder; a folder's conftest.py imports the others it uses (`api`, `token`, `clients`, `client`)."""

from __future__ import annotations

import pytest

from kiwoom_cli.clock import ManualClock
from tests.kit.sim import APP_KEY, SECRET, running_sim
from tests.kit.wire import Api, WsClient


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves itself."""
    return ManualClock()


@pytest.fixture
def sim_clock():
    """The simulator's clock: None is the system clock. A folder whose tests move the simulator's
    time overrides this with `def sim_clock(clock): return clock`."""
    return None


@pytest.fixture
def sim(sim_clock):
    """A static simulator (prices move only when told), rate limits off, seed 7, on 127.0.0.1 port 0."""
    with running_sim(sim_clock, seed=7) as server:
        yield server


@pytest.fixture
def api(sim) -> Api:
    """A logged-in hand-spoken REST client to the test's simulator."""
    a = Api(sim)
    a.login()
    return a


@pytest.fixture
def token(sim) -> str:
    """A token of the kit's account, issued by the simulator's exchange directly."""
    return sim.call(sim.ctx.exchange.issue_token, APP_KEY, SECRET)[0]


@pytest.fixture
def clients(sim):
    """connect(echo_ping=True) -> a hand-spoken WebSocket connection; all closed at the end."""
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
    """A logged-in hand-spoken WebSocket connection."""
    c = clients()
    assert c.login(token)["return_code"] == 0
    return c
