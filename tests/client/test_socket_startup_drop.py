"""A drop while a query waits for its answer (the simulator's drop_on_cnsrlst fault): the socket
reconnects and asks again, so a network blip during a run's start-up does not end the session."""

from __future__ import annotations

import queue

import pytest

from kiwoom_cli.errors import TemporaryError
from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import ConditionEvent, SocketStatus
from tests.kit.sim import arm, endpoint, rest_client, running_sim


@pytest.fixture
def sim():
    with running_sim() as server:
        yield server


def _drain(q: queue.Queue) -> list:
    seen = []
    while True:
        try:
            seen.append(q.get_nowait())
        except queue.Empty:
            return seen


def _client(sim, rest, q, **kw) -> SocketClient:
    client = SocketClient(endpoint(sim), rest.token, q, backoff=(0.05, 0.5), timeout=5.0, **kw)
    client.start()
    return client


def test_a_condition_list_cut_off_by_a_drop_is_asked_again_after_the_reconnect(sim, tmp_path):
    q: queue.Queue = queue.Queue()
    with rest_client(sim, tmp_path) as rest:
        client = _client(sim, rest, q)
        try:
            arm(sim, kind="drop_on_cnsrlst", count=1)
            conditions = client.conditions()
            assert [c.seq for c in conditions][:2] == ["0", "1"] and all(c.name for c in conditions)
            states = [(e.state, e.detail) for e in _drain(q) if isinstance(e, SocketStatus)]
            assert ("connected", "reconnected") in states  # it did drop, and came back
            assert sim.ctx.faults.pending.get("drop_on_cnsrlst") == 0
        finally:
            client.stop()


def test_a_subscription_cut_off_by_a_drop_still_subscribes_and_pushes_arrive(sim, tmp_path):
    q: queue.Queue = queue.Queue()
    with rest_client(sim, tmp_path) as rest:
        client = _client(sim, rest, q)
        try:
            arm(sim, kind="drop_on_cnsrlst", count=1)  # subscribe_condition lists first (the spec's order)
            assert all(len(code) == 6 for code in client.subscribe_condition("1"))
            sim.push_condition("1", "035420", "I")
            while True:
                event = q.get(timeout=10)
                if isinstance(event, ConditionEvent):
                    break
            assert (event.seq, event.code, event.entered) == ("1", "035420", True)
        finally:
            client.stop()


def test_without_reconnects_the_drop_is_a_temporary_error(sim, tmp_path):
    q: queue.Queue = queue.Queue()
    with rest_client(sim, tmp_path) as rest:
        client = _client(sim, rest, q, reconnect=False)
        try:
            arm(sim, kind="drop_on_cnsrlst", count=1)
            with pytest.raises(TemporaryError, match="CNSRLST: connection lost before the reply"):
                client.conditions()
        finally:
            client.stop()
