"""An Engine wired to a running simulator with the real REST and socket clients (as `kiwoom run` does)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.kiwoom.socket import SocketClient
from tests.kit.sim import endpoint, rest_client
from tests.kit.core import settings


@contextlib.contextmanager
def engine_on(sim, tmp_path, events, *, limiter=None, prefix: str = "s", clock=None,
              exchange: str = "KRX", gate: threading.Event | None = None,
              **rules) -> Iterator[tuple[Engine, Journal]]:
    """Yield (engine, journal): buy on condition 1, sell on condition 2; stopped and closed on exit.

    clock: the engine's (default: the system clock); exchange: where orders go, as the setting.
    gate: the socket's token waits for it to be set, so a reconnect is held while a test shuts it.
    rules: other RunSettings (buy_order="limit", ...).
    """
    def rest_factory():
        return rest_client(sim, tmp_path / "tokens", limiter=limiter, exchange=exchange)

    token_rest = rest_factory()

    def token(force: bool = False) -> str:
        assert gate is None or gate.wait(30), "the test never reopened the gate"
        return token_rest.token(force)

    socket = SocketClient(endpoint(sim), token, events, backoff=(0.05, 0.5), exchange=exchange)
    journal = Journal(tmp_path / "journal.sqlite3")
    kernel = Kernel(settings(buy_cond="1", sell_cond="2", exchange=exchange, **rules), journal, id_prefix=prefix)
    engine = Engine(kernel, socket=socket, rest_factory=rest_factory, clock=clock or SystemClock(), events=events)
    try:
        yield engine, journal
    finally:
        if gate is not None:
            gate.set()
        if not engine.done.is_set() and engine._thread.is_alive():
            engine.stop()
        journal.close()
        token_rest.close()


def give_limits(engine: Engine, sim, tmp_path, codes) -> None:
    """Hand the engine today's limits of `codes`, as a quote would, without spending the run's rate
    budget (prices of a code count only once a quote gave its limits: core/prices.py)."""
    rest = rest_client(sim, tmp_path / "tokens")
    try:
        found = tuple(rest.quotes(list(codes)))
    finally:
        rest.close()
    engine.put(ev.QuotesArrived(found, ()))


def snapshot(engine: Engine, timeout: float = 5.0):
    """Ask the engine for a snapshot and wait for it to be published (engine.changed), not polled."""
    engine.changed.clear()
    engine.request_snapshot()
    assert engine.changed.wait(timeout), "no snapshot published"
    return engine.latest


def wait_state(engine: Engine, predicate, timeout: float = 5.0, message: str = ""):
    """Wait until predicate(snapshot) is truthy and return its value; fail after `timeout` seconds.

    Waits on engine.changed, never polls: after one fresh snapshot it asks the engine to publish only
    when its state changes (request_snapshot(if_changed=True)) and looks again at each publish.
    """
    deadline = time.monotonic() + timeout
    value = predicate(snapshot(engine, timeout))
    while not value:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")
        engine.changed.clear()
        engine.request_snapshot(if_changed=True)
        if engine.changed.wait(remaining):
            value = predicate(engine.latest)
    return value
