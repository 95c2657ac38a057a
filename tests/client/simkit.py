"""Shared set-up for the client's tests against the simulator (real sockets on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from kiwoom_cli.kiwoom.endpoint import Credentials, Endpoint
from kiwoom_cli.kiwoom.rest import RestClient
from kiwoom_cli.kiwoom.tokens import TokenStore
from kiwoom_cli.sim.domain import SimConfig
from kiwoom_cli.sim.server import SimServer

APP_KEY = "TEST-APP-KEY-0123456789abcdefghijklmnopqrstu"
SECRET = "TEST-SECRET-9876543210zyxwvutsrqponmlkjihgfed"


def credentials() -> Credentials:
    return Credentials(APP_KEY, SECRET)


def endpoint(sim: SimServer) -> Endpoint:
    return Endpoint("sim", sim.rest_url, sim.ws_url)


@contextlib.contextmanager
def running_sim(**config):
    """A static, always-open simulator with rate limits off unless asked for."""
    config.setdefault("rate_limit", None)
    config.setdefault("static", True)
    with SimServer(SimConfig(**config)) as sim:
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
