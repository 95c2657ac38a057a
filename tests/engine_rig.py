"""An Engine wired to a running simulator with the real REST and socket clients (as `kiwoom run` does)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from kiwoom_cli.clock import SystemClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.engine import Engine
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.kiwoom.socket import SocketClient
from tests.client.simkit import endpoint, rest_client
from tests.core.harness import settings


@contextlib.contextmanager
def engine_on(sim, tmp_path, events, *, limiter=None, prefix: str = "s",
              clock=None, exchange: str = "KRX", **rules) -> Iterator[tuple[Engine, Journal]]:
    """Yield (engine, journal): buy on condition 1, sell on condition 2; stopped and closed on exit.

    clock: the engine's (default: the system clock); exchange: where orders go, as the setting.
    rules: other RunSettings (buy_order="limit", ...).
    """
    def rest_factory():
        return rest_client(sim, tmp_path / "tokens", limiter=limiter, exchange=exchange)

    token_rest = rest_factory()
    socket = SocketClient(endpoint(sim), token_rest.token, events, backoff=(0.05, 0.5), exchange=exchange)
    journal = Journal(tmp_path / "journal.sqlite3")
    kernel = Kernel(settings(buy_cond="1", sell_cond="2", exchange=exchange, **rules), journal, id_prefix=prefix)
    engine = Engine(kernel, socket=socket, rest_factory=rest_factory, clock=clock or SystemClock(), events=events)
    try:
        yield engine, journal
    finally:
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
