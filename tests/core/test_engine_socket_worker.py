"""REG/REMOVE waits for the broker's ack on the socket-command worker, never on the engine thread."""

from __future__ import annotations

import queue
import threading

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.core.workers import SocketWorker
from kiwoom_cli.errors import BrokerRejected
from tests.core.test_engine import PaperBroker
from tests.kit.core import entry, settings
from tests.kit.helpers import wait_until


class SlowAckBroker(PaperBroker):
    """A broker whose REG acks wait until the test releases them (once `slow` is set)."""

    def __init__(self, events) -> None:
        super().__init__(events)
        self.slow = False
        self.waiting = threading.Event()  # a register() is waiting for its ack
        self.release = threading.Event()
        self.calls: list[tuple[str, tuple[str, ...]]] = []

    def register(self, codes, types=("0B",)):
        self.calls.append(("register", tuple(codes)))
        if self.slow:
            self.waiting.set()
            assert self.release.wait(10)
        super().register(codes, types)

    def unregister(self, codes, types=("0B",)):
        self.calls.append(("unregister", tuple(codes)))
        super().unregister(codes, types)


def test_engine_keeps_trading_while_a_registration_waits_for_its_ack(tmp_path):
    events: queue.SimpleQueue = queue.SimpleQueue()
    broker = SlowAckBroker(events)
    journal = Journal(tmp_path / "j.sqlite3")
    engine = Engine(Kernel(settings(), journal, id_prefix="s"), socket=broker, rest_factory=lambda: broker,
                    clock=SystemClock(), events=events)
    try:
        engine.start()
        broker.slow = True
        engine.put(entry("000001"))
        assert broker.waiting.wait(5), "the first entry's REG was never sent"
        # the REG for 000001 is still unacknowledged: the engine must price and order the next entry
        engine.put(entry("000002"))
        wait_until(lambda: [s[1] for s in broker.sent] == ["000001", "000002"], message="second order")
        assert broker.registered == set()  # neither ack has come yet
        broker.release.set()
        wait_until(lambda: broker.registered == {"000001", "000002"}, message="both registered")
        assert [c for c in broker.calls if c[0] == "register"] == [("register", ("000001",)),
                                                                  ("register", ("000002",))]
    finally:
        broker.release.set()
        engine.stop()
        journal.close()
    assert not any(t.is_alive() for t in [engine._thread, *engine._workers])


def test_socket_worker_keeps_order_and_survives_a_refusal():
    class Refusing:
        def __init__(self) -> None:
            self.calls: list = []

        def register(self, codes):
            self.calls.append(("register", tuple(codes)))
            if codes == ["999999"]:
                raise BrokerRejected("REG: over the registration limit")

        def unregister(self, codes):
            self.calls.append(("unregister", tuple(codes)))

    socket, jobs = Refusing(), queue.SimpleQueue()
    worker = SocketWorker("t-socket-cmd", socket, jobs)
    worker.start()
    for job in (ev.Register(("999999",)), ev.Register(("000001",)), ev.Unregister(("000001",)),
                ev.Register(("000001",)), ev.STOP):
        jobs.put(job)
    worker.join(5)
    assert not worker.is_alive()
    assert socket.calls == [("register", ("999999",)), ("register", ("000001",)),
                            ("unregister", ("000001",)), ("register", ("000001",))]


def test_a_refused_registration_is_reported_and_retried_until_it_takes():
    # A held code without ticks has no stop-loss: the engine must hear of it, and it must be retried.
    class RefusesOnce:
        def __init__(self) -> None:
            self.calls: list = []

        def register(self, codes):
            self.calls.append(tuple(codes))
            if len(self.calls) == 1:
                raise BrokerRejected("REG: 등록 종목수 초과")

        def unregister(self, codes):
            pass

    now = [0.0]
    socket, jobs, events = RefusesOnce(), queue.SimpleQueue(), queue.SimpleQueue()
    worker = SocketWorker("t-socket-cmd", socket, jobs, events, clock=lambda: now[0])
    worker.start()
    try:
        jobs.put(ev.Register(("005930",)))
        failed = events.get(timeout=5)
        assert failed == ev.RegisterFailed(("005930",), "REG: 등록 종목수 초과", 5.0)
        now[0] = 5.0  # the retry is due; wake the worker with an unrelated job
        jobs.put(ev.Unregister(("000000",)))
        wait_until(lambda: socket.calls == [("005930",), ("005930",)], message="the retry")
        assert worker.retry == {}
    finally:
        jobs.put(ev.STOP)
        worker.join(5)
    assert events.empty()  # the retry took: nothing more to report


def test_register_failed_becomes_a_journaled_warning_per_code(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    kernel = Kernel(settings(), journal, id_prefix="s")
    from kiwoom_cli.clock import KST
    import datetime as dt

    now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=KST)
    kernel.handle(ev.RegisterFailed(("005930", "000660"), "timed out", 5.0), now)
    rows = [(d["rule"], d["code"], d["action"]) for d in journal.decisions()]
    assert rows == [("socket", "005930", "warn"), ("socket", "000660", "warn")]
    journal.close()
