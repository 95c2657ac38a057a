"""After a reconnect the socket hands on each re-subscribed condition's list (ConditionListed)."""

from __future__ import annotations

import threading

from kiwoom_cli.kiwoom.socket import SocketClient
from kiwoom_cli.models import ConditionEvent, ConditionListed, SocketStatus
from tests.kit.events import Events
from tests.kit.sim import endpoint, rest_client, running_sim


def test_each_condition_is_listed_again_after_a_reconnect_before_it_is_announced(tmp_path):
    events, gate = Events(), threading.Event()
    gate.set()
    with running_sim() as sim, rest_client(sim, tmp_path / "tokens") as rest:
        def token(force: bool) -> str:  # a reconnect waits here while the gate is shut
            assert gate.wait(30)
            return rest.token(force)

        sock = SocketClient(endpoint(sim), token, events.queue, backoff=(0.05, 0.5))
        sock.start()
        try:
            sim.push_condition("1", "005930", "I")
            assert "005930" in sock.subscribe_condition("1")
            sock.subscribe_condition("2")
            gate.clear()
            sim.fault("drop_socket", 1)
            events.status("disconnected")
            sim.push_condition("1", "000660", "I")  # in the gap: this push reaches nobody
            gate.set()
            seen = []
            while not seen or seen[-1] != SocketStatus("connected", "reconnected"):
                seen.append(events.wait_for(lambda e: isinstance(e, (ConditionListed, SocketStatus)), what="relist"))
        finally:
            gate.set()
            sock.stop()
    listed = {e.seq: e.codes for e in seen if isinstance(e, ConditionListed)}
    assert set(listed) == {"1", "2"} and {"005930", "000660"} <= set(listed["1"])
    assert not [e for e in events.seen if isinstance(e, ConditionEvent) and e.code == "000660"]
