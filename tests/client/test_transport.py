"""RestClient's urllib3 transport: what counts as "nothing sent", against real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest

from kiwoom_cli.errors import OutcomeUnknown, TemporaryError
from kiwoom_cli.kiwoom.endpoint import Endpoint
from kiwoom_cli.kiwoom.transport import SendError, Transport
from tests.kit.sim import SECRET, closed_port, rest_client


def test_order_through_an_unreachable_proxy_was_not_sent(sim, tmp_path):
    with rest_client(sim, tmp_path, proxy=f"http://127.0.0.1:{closed_port()}") as c:
        before = len(sim.order_log)
        with pytest.raises(TemporaryError) as info:
            c.buy("005930", 1, None)
        assert not isinstance(info.value, OutcomeUnknown) and "cannot connect" in str(info.value)
        assert len(sim.order_log) == before


def test_connection_closed_after_the_request_is_outcome_unknown(sim, tmp_path):
    """A server that reads the order and hangs up without answering: it may have been placed."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    got = []

    def serve():
        conn, _ = listener.accept()
        with conn:
            got.append(conn.recv(65536))

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    with rest_client(sim, tmp_path) as c:
        c.token()  # from the live simulator; the order then goes to the hanging-up server
        c.endpoint = Endpoint("sim", f"http://127.0.0.1:{listener.getsockname()[1]}", sim.ws_url)
        with pytest.raises(OutcomeUnknown) as info:
            c.buy("005930", 1, None)
    server.join(5)
    listener.close()
    assert got and b"kt10000" in got[0]
    assert SECRET not in str(info.value) and c.token() not in str(info.value)


def test_transport_reports_a_refused_connection_as_nothing_sent():
    with pytest.raises(SendError) as info:
        Transport(2).post(f"http://127.0.0.1:{closed_port()}", "/x", b"{}", {})
    assert info.value.nothing_sent and info.value.kind == "NewConnectionError"
