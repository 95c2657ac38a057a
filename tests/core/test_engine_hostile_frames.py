"""The engine against hostile frames (issue 12 item 3): a malformed frame from the broker leaves
the run reading, so the next entry is bought and a held position's stop-loss still fires."""

from __future__ import annotations

import queue

from tests.client.test_socket_hostile import HOSTILE, _push
from tests.kit.engine import engine_on, snapshot, wait_state
from tests.kit.helpers import wait_until
from tests.kit.sim import running_sim


def test_malformed_frames_stop_neither_the_next_buy_nor_the_stop_loss(tmp_path):
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue()) as (engine, journal):
        sim.set_price("005930", 100_000)
        engine.start()
        wait_until(lambda: engine.socket.connected, timeout=10, message="connected")
        for frame in HOSTILE:
            _push(sim, frame)
        sim.push_condition("1", "005930", "I")
        pos = wait_state(engine, lambda s: s.positions.get("005930"), timeout=10, message="bought")
        assert pos.managed and pos.qty > 0
        wait_until(lambda: "005930" in engine.socket.registered, message="registered")
        for frame in HOSTILE:  # again, now that a position is held
            _push(sim, frame)
        sim.set_price("005930", 90_000)  # -10 %: the stop-loss sells everything
        wait_until(lambda: "005930" not in snapshot(engine).positions, timeout=10, message="sold")
        assert engine.socket.connected and engine.socket.bad_frames >= 2 * (len(HOSTILE) - 1)
        engine.stop()
        rules = [(d["rule"], d["action"]) for d in journal.decisions() if d["rule"] != "socket"]
        assert rules == [("buy_cond", "buy"), ("stop_loss", "sell")]
