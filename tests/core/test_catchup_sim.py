"""Entries pushed while the socket reconnects are caught up from the re-subscription's list.

Real REST and WebSocket clients against the simulator. The socket's token provider is held shut
while a test acts in the gap, so a push lands in it deterministically; the engine's ManualClock
gives the gap its length.
"""

from __future__ import annotations

import queue
import threading

import pytest

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.journal import Journal
from tests.kit.engine import engine_on, snapshot
from tests.kit.helpers import wait_until
from tests.kit.sim import running_sim
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.kiwoom.socket import SocketClient
from tests.kit.sim import endpoint, rest_client, running_sim
from tests.kit.core import settings


class Rig:
    def __init__(self, sim, engine: Engine, journal: Journal, clock: ManualClock, gate: threading.Event) -> None:
        self.sim, self.engine, self.journal, self.clock, self.gate = sim, engine, journal, clock, gate

    def snapshot(self):
        return snapshot(self.engine, timeout=10)

    def count(self, rule: str, code: str | None, action: str, text: str = "") -> int:
        return sum(d.rule == rule and d.code == code and d.action == action and text in d.reason
                   for _, d in list(self.engine.log))

    def decided(self, rule: str, code: str | None, action: str, text: str = "") -> bool:
        return self.count(rule, code, action, text) > 0

    def gap(self, seconds: float, during) -> None:
        """Drop the socket; with the reconnect held, run `during()` and let `seconds` pass; reconnect."""
        drops = self.count("socket", None, "info", "disconnected")
        said = f"outage of {seconds:.1f}s"  # not any "outage": a catch-up line may name one first
        outages = self.count("socket", None, "info", said)
        self.gate.clear()
        self.sim.fault("drop_socket", 1)
        wait_until(lambda: self.count("socket", None, "info", "disconnected") > drops, timeout=10,
                   message="the engine saw the drop")
        during()
        self.clock.advance(seconds)
        self.gate.set()
        wait_until(lambda: self.count("socket", None, "info", said) > outages, timeout=20, message="reconnected")

    def buys(self, code: str) -> int:
        return [o["body"]["stk_cd"] for o in self.sim.order_log if o["api_id"] == "kt10000"].count(code)

    def buy_now(self, code: str) -> None:
        """An entry pushed while connected: bought (a sync point: everything before it was handled)."""
        self.sim.push_condition("1", code, "I")
        wait_until(lambda: code in self.snapshot().positions, timeout=20, message=f"{code} bought")


@pytest.fixture
def rig(tmp_path):
    clock, gate = ManualClock(), threading.Event()
    gate.set()
    with running_sim() as sim, engine_on(sim, tmp_path, queue.SimpleQueue(), prefix="c", clock=clock,
                                         gate=gate) as (engine, journal):
        yield Rig(sim, engine, journal, clock, gate)


def test_an_entry_pushed_during_a_short_gap_is_bought_once_after_the_reconnect(rig):
    rig.engine.start()
    rig.gap(30.0, lambda: rig.sim.push_condition("1", "005930", "I"))
    wait_until(lambda: "005930" in rig.snapshot().positions, timeout=20, message="caught up and bought")
    assert rig.decided("catch_up", "005930", "info", "during a 30.0s outage")
    rig.buy_now("000660")  # everything the reconnect brought has been handled by now
    rows = [r for r in rig.snapshot().conditions if r.event.code == "005930"]  # the dashboard's
    assert [(r.event.seq, r.event.entered) for r in rows] == [("1", True)]
    assert rows[0].decision.action == "buy"  # the buy made after the fresh quote, tied to the entry
    rig.engine.stop()
    assert rig.buys("005930") == 1 and rig.buys("000660") == 1
    assert rig.sim.errors == []
    assert [(d["rule"], d["code"], d["action"]) for d in rig.journal.decisions() if d["rule"] == "buy_cond"] == [
        ("buy_cond", "005930", "buy"), ("buy_cond", "000660", "buy")]


def test_an_entry_pushed_during_a_gap_longer_than_catch_up_s_is_logged_as_missed(rig):
    rig.engine.start()
    rig.gap(61.0, lambda: rig.sim.push_condition("1", "005930", "I"))
    wait_until(lambda: rig.decided("catch_up", "005930", "skip", "missed entry"), timeout=10, message="missed")
    rig.buy_now("000660")
    rig.engine.stop()
    assert rig.buys("005930") == 0 and "005930" not in rig.engine.latest.positions
    assert rig.decided("socket", None, "info", "condition 1 after a 61.0s outage: missed: 005930")


def test_a_sell_condition_entry_during_a_gap_sells_the_held_position(rig):
    rig.engine.start()
    rig.buy_now("005930")
    wait_until(lambda: rig.snapshot().positions["005930"].sellable > 0, timeout=20, message="filled")
    rig.gap(600.0, lambda: rig.sim.push_condition("2", "005930", "I"))  # any gap: the sell side always acts
    wait_until(lambda: "005930" not in rig.snapshot().positions, timeout=20, message="sold")
    rig.engine.stop()
    sells = [i for i in rig.journal.intents() if i["side"] == "sell"]
    assert [(i["code"], i["rule"]) for i in sells] == [("005930", "sell_cond")]


def test_stocks_in_the_condition_at_start_are_not_bought_not_even_after_a_reconnect(rig):
    rig.sim.push_condition("1", "005930", "I")  # in the condition before the run subscribes
    rig.engine.start()
    rig.gap(5.0, lambda: None)
    assert rig.decided("socket", None, "info", "condition 1 after a 5.0s outage: caught up: none")
    rig.buy_now("000660")
    rig.engine.stop()
    assert rig.buys("005930") == 0 and rig.buys("000660") == 1


def test_a_member_that_left_during_the_gap_is_an_exit_and_its_return_an_entry(rig):
    rig.sim.push_condition("1", "005930", "I")  # a member from the start: not bought
    rig.engine.start()
    rig.gap(5.0, lambda: rig.sim.push_condition("1", "005930", "D"))
    assert rig.decided("catch_up", "005930", "info", "left condition 1")
    rig.gap(5.0, lambda: rig.sim.push_condition("1", "005930", "I"))  # back in: now an entry
    wait_until(lambda: "005930" in rig.snapshot().positions, timeout=20, message="bought on re-entry")
    rig.engine.stop()
    assert rig.buys("005930") == 1
