"""SocketClient against the simulator's WebSocket over real sockets on 127.0.0.1."""

from __future__ import annotations

import queue

import pytest

from kiwoom_cli.errors import BrokerRejected, TemporaryError
from kiwoom_cli.kiwoom.endpoint import Endpoint
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import (
    BalanceEvent,
    ConditionEvent,
    ConditionMatch,
    OrderEvent,
    OrderStatus,
    Side,
    SocketStatus,
    Tick,
)
from tests.kit.events import Events
from tests.kit.helpers import wait_until
from tests.kit.sim import closed_port, endpoint, rest_client, running_sim


@pytest.fixture
def sim():
    with running_sim(extra={"ping_interval_s": 0.05, "ping_misses": 2}) as server:
        yield server


@pytest.fixture
def sock(sim, rest, events):
    client = SocketClient(endpoint(sim), rest.token, events.queue, backoff=(0.05, 0.5))
    client.start()
    yield client
    client.stop()


def test_login_and_ping_echo_keep_the_socket(sock, events):
    assert events.status("connected").detail == "logged in"
    # The simulator pings every 50 ms and closes after 2 missed echoes (R10002).
    wait_until(lambda: sock.pings >= 6, timeout=10, message="six PINGs echoed")
    assert sock.connected
    assert not [e for e in events.seen if isinstance(e, SocketStatus) and e.state == "disconnected"]


def test_conditions_search_and_subscribe(sim, sock, events):
    conditions = sock.conditions()
    assert len(conditions) >= 5 and conditions[0].seq == "0" and all(c.name for c in conditions)
    matches = sock.search(conditions[0].seq)
    assert all(isinstance(m, ConditionMatch) and len(m.code) == 6 and m.price > 0 for m in matches)
    current = sock.subscribe_condition("1")
    assert all(len(code) == 6 for code in current)
    sim.push_condition("1", "035420", "I")
    event = events.wait_for(lambda e: isinstance(e, ConditionEvent), what="condition push")
    assert (event.seq, event.code, event.entered) == ("1", "035420", True)
    assert event.received > 0
    sim.push_condition("1", "035420", "D")
    left = events.wait_for(lambda e: isinstance(e, ConditionEvent), what="condition exit")
    assert (left.code, left.entered) == ("035420", False)


def test_search_pages(tmp_path):
    with running_sim(extra={"cnsr_page_size": 1}) as sim, rest_client(sim, tmp_path) as rest:
        events = Events()
        client = SocketClient(endpoint(sim), rest.token, events.queue)
        client.start()
        try:
            codes = ["005930", "000660", "035420"]
            for code in codes:
                sim.push_condition("2", code, "I")
            found = {m.code for m in client.search("2")}
            assert set(codes) <= found
        finally:
            client.stop()


def test_tick_on_registered_code(sim, sock, events):
    sock.register(["005930"])
    assert sock.registered == {"005930"}
    sim.set_price("005930", 97_600)
    tick = events.wait_for(lambda e: isinstance(e, Tick) and e.code == "005930", what="0B tick")
    assert tick.price == 97_600 and tick.received > 0
    sock.unregister(["005930"])
    assert sock.registered == set()


def test_order_and_balance_events_after_a_market_buy(sock, rest, events):
    sock.register_account()
    ack = rest.buy("005930", 2, None)
    accepted = events.wait_for(
        lambda e: isinstance(e, OrderEvent) and e.status is OrderStatus.ACCEPTED, what="접수"
    )
    assert (accepted.order_no, accepted.side, accepted.order_qty, accepted.code) == (
        ack.order_no,
        Side.BUY,
        2,
        "005930",
    )
    filled = events.wait_for(
        lambda e: isinstance(e, OrderEvent) and e.status is OrderStatus.FILLED and e.remaining_qty == 0,
        what="체결",
    )
    assert filled.filled_qty == 2 and filled.fill_price > 0
    position = events.wait_for(lambda e: isinstance(e, BalanceEvent) and e.qty == 2, what="04 balance")
    assert position.code == "005930" and position.avg_price > 0
    [holding] = rest.balance().holdings
    assert (holding.code, holding.qty) == ("005930", 2)


def test_reconnect_restores_registrations(sim, sock, rest, events):
    sock.register_account()
    sock.register(["000660"])
    sock.subscribe_condition("3")
    events.status("connected")
    sim.fault("drop_socket", 1)
    events.status("disconnected")
    events.status("connected", "reconnected")
    # "reconnected" means the registrations are live again at the server, not merely re-sent
    # (it was announced before the REG ack once, and a price set right after it was missed).
    assert sim.call(lambda: bool(sim._hub.by_code.get("000660")))
    assert sim.call(lambda: bool(sim._hub.by_seq.get("3")))
    sim.set_price("000660", 572_000)
    tick = events.wait_for(lambda e: isinstance(e, Tick) and e.code == "000660", what="tick after reconnect")
    assert tick.price == 572_000
    sim.push_condition("3", "068270", "I")
    assert (
        events.wait_for(lambda e: isinstance(e, ConditionEvent), what="push after reconnect").code == "068270"
    )
    rest.buy("000660", 1, None)
    assert (
        events.wait_for(lambda e: isinstance(e, OrderEvent), what="order event after reconnect").code
        == "000660"
    )
    assert sock.conditions()  # request/reply works on the new connection


def test_reconnect_after_token_expiry_gets_a_fresh_token(sim, sock, rest, events):
    sock.register(["005930"])
    first = rest.token()
    sim.fault("expire_token", 1)
    sim.fault("drop_socket", 1)
    events.status("login_failed")  # the cached token is refused with [8005]
    events.status("connected", "reconnected")
    assert rest.token() != first
    sim.set_price("005930", 97_400)
    assert events.wait_for(lambda e: isinstance(e, Tick), what="tick after re-login").price == 97_400


def test_start_with_a_refused_token_reissues_once(sim, rest, events):
    rest.token()
    sim.fault("expire_token", 1)
    client = SocketClient(endpoint(sim), rest.token, events.queue)
    client.start()
    try:
        assert events.status("login_failed").detail
        assert events.status("connected").detail == "logged in"
    finally:
        client.stop()


def test_registration_over_the_limit_is_rejected(tmp_path):
    with running_sim(extra={"reg_limit": 2}) as sim, rest_client(sim, tmp_path) as rest:
        client = SocketClient(endpoint(sim), rest.token, queue.SimpleQueue())
        client.start()
        try:
            with pytest.raises(BrokerRejected):
                client.register(["005930", "000660", "035420"])
            assert client.registered == set()
        finally:
            client.stop()


def test_second_login_with_the_same_key_kicks_the_first(sim, sock, rest, events):
    other = Events()
    second = SocketClient(endpoint(sim), rest.token, other.queue)
    second.start()
    try:
        assert events.status("kicked").detail.startswith("R10001")
        events.status("disconnected")
        assert not sock.connected and second.connected
    finally:
        second.stop()


def test_unreachable_socket_is_temporary(rest):
    port = closed_port()
    dead = Endpoint("sim", f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/api/dostk/websocket")
    client = SocketClient(dead, lambda force: "unused", queue.SimpleQueue())
    with pytest.raises(TemporaryError):
        client.start(timeout=2)


def test_requests_need_a_connection(sim, rest):
    client = SocketClient(endpoint(sim), rest.token, queue.SimpleQueue())
    with pytest.raises(TemporaryError):
        client.conditions()
    with pytest.raises(TemporaryError):
        client.register(["005930"])


def test_stop_while_reconnecting_returns(tmp_path):
    events = Events()
    with running_sim() as sim, rest_client(sim, tmp_path) as rest:
        rest.token()
        client = SocketClient(endpoint(sim), rest.token, events.queue, backoff=(0.05, 0.2))
        client.start()
        reader = client._reader  # noqa: SLF001
    # the simulator is gone: the reader is now failing to reconnect with backoff
    events.status("disconnected")
    client.stop()
    assert not reader.is_alive()
    assert events.status("disconnected", "stopped")


def test_refused_login_keeps_the_token_secret(sim, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    bogus = "SECRET-TOKEN-THAT-MUST-NOT-LEAK-0123456789"
    client = SocketClient(endpoint(sim), lambda force: bogus, queue.SimpleQueue(), reconnect=False)
    from kiwoom_cli.errors import AuthError

    with pytest.raises(AuthError) as info:  # refused, then handed back again: never sent twice
        client.start(timeout=5)
    assert bogus not in str(info.value) and bogus not in repr(info.value) and bogus not in caplog.text


def test_environment_proxy_is_not_used(sim, rest, monkeypatch):
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = SocketClient(endpoint(sim), rest.token, queue.SimpleQueue(), reconnect=False)
    client.start(timeout=5)
    try:
        assert client.conditions()
    finally:
        client.stop()


def test_explicit_proxy_is_used(sim, rest):
    client = SocketClient(endpoint(sim), rest.token, queue.SimpleQueue(), proxy=f"127.0.0.1:{closed_port()}")
    with pytest.raises(TemporaryError):
        client.start(timeout=2)
