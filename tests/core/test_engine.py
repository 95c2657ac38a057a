"""The engine's threads and queues, against an in-memory stand-in for the broker adapter.

The stand-in replaces kiwoom/rest.py + socket.py, which are not written yet; once they are, the
end-to-end tests run the engine against the simulator over real sockets.
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading

import pytest

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.errors import OutcomeUnknown
from kiwoom_cli.models import Cash, OrderAck, OrderStatus, Side
from tests.kit.core import balance, entry, oe, quote, settings
from tests.kit.engine import snapshot
from tests.kit.helpers import wait_until


class PaperBroker:
    """Fills every order at once and reports it on the socket's queue, as the broker would."""

    def __init__(self, events: queue.SimpleQueue, price: int = 10_000) -> None:
        self.events = events
        self.price = price
        self.quote_calls: list[tuple[str, ...]] = []
        self.sent: list[tuple] = []
        self.registered: set[str] = set()
        self.unknown_codes: set[str] = set()
        self._nos = itertools.count(1)
        self.lock = threading.Lock()

    # REST
    def balance(self):
        return balance()

    def open_orders(self, code=None):
        return []

    def fills(self, code=None):
        return []

    def cash(self):
        return Cash(50_000_000, 50_000_000, 50_000_000)

    def quotes(self, codes):
        with self.lock:
            self.quote_calls.append(tuple(codes))
        return [quote(c, self.price) for c in codes]

    def buy(self, code, qty, price):
        return self._order(Side.BUY, code, qty, price)

    def sell(self, code, qty, price):
        return self._order(Side.SELL, code, qty, price)

    def _order(self, side, code, qty, price):
        with self.lock:
            self.sent.append((side, code, qty, price))
        if code in self.unknown_codes:
            raise OutcomeUnknown("read timed out after the request was sent")
        no = f"{next(self._nos):07d}"
        self.events.put(oe(no, code, side, OrderStatus.FILLED, qty, 0, qty, self.price, qty))
        return OrderAck(no)

    def close(self):
        pass

    # socket
    def start(self, timeout=10.0):
        pass

    def stop(self):
        pass

    def register_account(self):
        pass

    def register(self, codes, types=("0B",)):
        self.registered.update(codes)

    def unregister(self, codes, types=("0B",)):
        self.registered.difference_update(codes)

    def subscribe_condition(self, seq, timeout=10.0):
        return []


@pytest.fixture
def rig(tmp_path):
    events: queue.SimpleQueue = queue.SimpleQueue()
    broker = PaperBroker(events)
    journal_box = {}

    def make(**kw):
        journal = Journal(tmp_path / "j.sqlite3")
        journal_box["j"] = journal
        kernel = Kernel(settings(), journal, id_prefix="e")
        engine = Engine(kernel, socket=broker, rest_factory=lambda: broker, clock=SystemClock(),
                        events=events, **kw)
        return engine

    yield broker, make
    if "j" in journal_box:
        journal_box["j"].close()


def test_burst_is_priced_in_one_request_and_filled(rig):
    broker, make = rig
    engine = make()
    codes = ["000001", "000002", "000003"]
    for c in codes:  # already waiting when the engine starts: one batch
        engine.put(entry(c))
    engine.start()
    wait_until(lambda: len(snapshot(engine).positions) == 3, message="three positions")
    assert broker.quote_calls == [tuple(codes)]
    assert [s[1] for s in broker.sent] == codes
    assert broker.registered == set(codes)
    engine.stop()
    assert engine.done.is_set() and engine.exit_reason == "stopped"
    assert not any(t.is_alive() for t in [engine._thread, *engine._workers])


def test_unknown_outcome_is_never_resent(rig):
    broker, make = rig
    broker.unknown_codes.add("000001")
    engine = make()
    engine.start()
    engine.put(entry("000001"))
    wait_until(lambda: any(o.unknown for o in snapshot(engine).orders.values()), message="unknown order")
    engine.put(entry("000001"))
    wait_until(lambda: any(d.reason == "duplicate: order pending" for _, d in engine.log), message="denial")
    engine.stop()
    assert [s[1] for s in broker.sent] == ["000001"]


def test_until_ends_the_run_without_polling(rig):
    _, make = rig
    engine = make(until=SystemClock().now() + dt.timedelta(seconds=0.2))
    engine.start()
    assert engine.done.wait(5)
    assert engine.exit_reason == "until reached"


def test_orders_go_through_the_order_service_when_given(rig, tmp_path):
    from kiwoom_cli.core.orders import OrderService

    broker, make = rig
    services = []

    def order_factory():
        services.append(OrderService(broker, None, SystemClock(), id_prefix="w"))
        return services[-1]

    engine = make(order_factory=order_factory)
    engine.put(entry("000001"))
    engine.start()
    wait_until(lambda: "000001" in snapshot(engine).positions, message="position")
    engine.stop()
    assert len(services) == 1 and [s[1] for s in broker.sent] == ["000001"]
