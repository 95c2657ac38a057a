"""The engine: one thread owns the Kernel and consumes one SimpleQueue; workers do the I/O.

Threads (docs/decisions.md §9): the socket reader (inside the SocketClient) and the workers put events
on `events`; the engine blocks in `events.get(timeout=<next deadline>)`, never polls. After each
batch it sends an Idle (the moment to price a burst of entries in one quote request) and, when the
dashboard asked for one, publishes a fresh snapshot and sets `changed`. A request made with
`if_changed=True` (the dashboard's) is answered only once the state has changed since the last
published snapshot (`version`), so an idle session publishes nothing and wakes nobody.
Each event: `kernel.handle(event, now)` journals and commits the turn, then puts its intents on the
workers' queues (`Kernel.dispatch` is this engine's `_dispatch`), then hands the Turn to the
dashboard's bookkeeping (`Recent.consume`) and the other sinks (the run's feed): docs/architecture.md,
"The fact stream". The engine thread does no network I/O (an order leaves from the order worker:
docs/architecture.md §3).
Shutdown: STOP (or StopRun) on the engine queue -> STOP to every worker -> join.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from kiwoom_cli.clock import Clock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.recent import Recent
from kiwoom_cli.core.reconcile import GONE_CONFIRM_S
from kiwoom_cli.core.orders import OrderService
from kiwoom_cli.core.workers import OrderWorker, RestWorker, SocketWorker
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import SocketStatus

log = logging.getLogger("kiwoom.core.engine")


class SocketApi(Protocol):
    def start(self, timeout: float = 10.0) -> None: ...
    def stop(self) -> None: ...
    def register(self, codes, types: Sequence[str] = ("0B",)) -> None: ...
    def unregister(self, codes, types: Sequence[str] = ("0B",)) -> None: ...
    def register_account(self) -> None: ...
    def subscribe_condition(self, seq: str, timeout: float = 10.0) -> list[str]: ...


class Engine:
    def __init__(self, kernel: Kernel, *, socket: SocketApi, rest_factory: Callable[[], object],
                 clock: Clock, order_factory: Callable[[], object] | None = None,
                 events: queue.SimpleQueue | None = None,
                 until: dt.datetime | None = None, stop_at_window_end: bool = False,
                 condition_names: Mapping[str, str] | None = None) -> None:
        self.kernel = kernel
        self.socket = socket
        self.rest_factory = rest_factory
        self.clock = clock
        self.events: queue.SimpleQueue = events if events is not None else queue.SimpleQueue()
        self.until = until
        self.stop_at_window_end = stop_at_window_end
        self._order_jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._rest_jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._socket_jobs: queue.SimpleQueue = queue.SimpleQueue()  # Register/Unregister (wait for acks)
        self._socket_worker = SocketWorker("kiwoom-socket-cmd", socket, self._socket_jobs, self.events)
        # every order leaves from the order worker, through its own OrderService (docs/architecture.md §3)
        self._workers = [
            OrderWorker("kiwoom-orders", order_factory or (lambda: OrderService(rest_factory(), None, clock)),
                        self._order_jobs, self.events),
            RestWorker("kiwoom-rest", rest_factory, self._rest_jobs, self.events),
            self._socket_worker,
        ]
        self._thread = threading.Thread(target=self._run, name="kiwoom-engine", daemon=True)
        self.done = threading.Event()
        self.changed = threading.Event()  # set when a requested snapshot is ready
        self._want_snapshot = threading.Event()
        self._want_any = False  # the pending request takes a snapshot even if nothing changed
        self.version = 0  # bumped whenever the kernel handled an event (what the dashboard shows)
        self._published = -1  # version of `latest`
        self.latest = None  # the last published Snapshot
        # the log, condition rows (with the broker's names), socket state and hop latency the
        # snapshots carry (core/recent.py); engine thread only
        self.recent = Recent(condition_names)
        kernel.dispatch = self._dispatch  # each turn's intents, right after its commit
        kernel.sinks = (self.recent.consume, *kernel.sinks)  # then the Turn: our bookkeeping, then the feed
        self.log = self.recent.log  # recent (time, Decision)
        self.conditions = self.recent.conditions  # recent ConditionRow
        self.exit_reason = ""
        self.sleep = time.sleep  # the wait before a second balance answer (tests replace it)
        self.error: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Read the account, reconcile, log in to the socket, subscribe, then start the threads."""
        rest = self.rest_factory()
        try:  # a malformed balance or cash answer halts buying (core/halt.py); the others stop the start
            bad: dict[str, str] = {}  # api-id -> the malformed answer's message
            fills, balance = rest.fills(), _or_none(rest.balance, bad)  # fills first: never counted twice
            open_orders, cash = rest.open_orders(), _or_none(rest.cash, bad)
        finally:
            rest.close()
        self.socket.start()
        try:
            self.socket.register_account()
            now = self.clock.now()
            # registrations at start are made here, acked, before the condition subscriptions
            intents = self.kernel.start(balance, open_orders, cash, now, fills, recheck=self._balance_later, bad=bad)
            self._dispatch(intents, socket_inline=True)
            s = self.kernel.settings
            for seq in dict.fromkeys(x for x in (s.buy_cond, s.sell_cond) if x is not None):
                # stocks already in the condition entered before the run: members, not entries (only
                # pushes are, and after a reconnect what the list adds: core/catchup.py)
                self.kernel.state.members.seed(seq, self.socket.subscribe_condition(seq))
        except BaseException:
            self.socket.stop()
            raise
        for w in self._workers:
            w.start()
        self.request_snapshot()
        self._thread.start()

    def _balance_later(self):
        """A second balance answer GONE_CONFIRM_S later: tracked stocks are dropped only if both lack them."""
        self.sleep(GONE_CONFIRM_S)
        rest = self.rest_factory()
        try:
            return _or_none(rest.balance, {})
        finally:
            rest.close()

    def put(self, event: object) -> None:
        """Hand the engine an event from any thread (user commands, tests)."""
        self.events.put(event)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the engine to finish and wait for every thread."""
        self.events.put(ev.STOP)
        self.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the engine thread still runs (after a join() that timed out, say)."""
        return self._thread.is_alive()

    def join(self, timeout: float = 10.0) -> None:
        self._thread.join(timeout)
        for w in self._workers:
            w.join(timeout)

    def request_snapshot(self, if_changed: bool = False) -> None:
        """Ask for a fresh snapshot; `changed` is set when `latest` holds it.

        if_changed: answer only once the state differs from the last published snapshot (the
        dashboard's way: it then redraws only on change, never on a beat).
        """
        if not if_changed:
            self._want_any = True
        self._want_snapshot.set()
        self.events.put(ev.Idle())

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        q = self.events
        try:
            while True:
                timeout = self._timeout()
                try:
                    event = q.get() if timeout is None else q.get(timeout=max(timeout, 0.0))
                except queue.Empty:
                    event = ev.TimerFired()
                if not self._process(event):
                    return
                while True:  # take everything already waiting before answering Idle
                    try:
                        event = q.get_nowait()
                    except queue.Empty:
                        break
                    if not self._process(event):
                        return
                if not self._process(ev.Idle()):
                    return
                self._publish()
        except BaseException as e:  # a bug: stop trading rather than trade on a broken state
            log.exception("engine stopped by an internal error")
            self.error, self.exit_reason = e, f"internal error: {type(e).__name__}"
        finally:
            for jobs in (self._order_jobs, self._rest_jobs, self._socket_jobs):
                jobs.put(ev.STOP)
            try:
                self.socket.stop()
            finally:
                self._publish(force=True)
                self.done.set()
                self.changed.set()  # wake a dashboard waiting for a change: there will be none

    def _process(self, event: object) -> bool:
        now = self.clock.now()
        ends = self._ends(event, now)
        if ends is not None:
            self.exit_reason = ends
            return False
        if isinstance(event, ev.Idle) and not self._wants_idle():
            return True
        received = getattr(event, "received", 0.0)
        if received:
            self.recent.received(self.clock.monotonic() - received)
        # committed, its intents on the workers' queues (no network I/O here), then the sinks: the
        # feed's writer thread is woken only once the order is queued (README, Benchmarks)
        self.kernel.handle(event, now)
        self.version += 1
        return True

    def _ends(self, event: object, now: dt.datetime) -> str | None:
        """Why this event ends the run, or None."""
        if event is ev.STOP or isinstance(event, ev.StopRun):
            return self.exit_reason or "stopped"
        if isinstance(event, SocketStatus) and event.state == "kicked":
            # another login took the app key (R10001); fighting it back would kick forever (docs/decisions.md §2)
            self.kernel.handle(event, now)
            return f"kicked: {event.detail}"
        if isinstance(event, ev.TimerFired):
            if self.until is not None and now >= self.until:
                return "until reached"
            end = self._window_end(now)
            if end is not None and now >= end:
                return "window closed"
        return None

    def _wants_idle(self) -> bool:
        state = self.kernel.state
        return bool(state.awaiting) and not state.quotes_in_flight

    def _dispatch(self, intents: list, socket_inline: bool = False) -> None:
        for intent in intents:
            if isinstance(intent, (*ev.ORDER_INTENTS, ev.RetryOrder, ev.GiveUp)):  # in order, one queue
                self._order_jobs.put(intent)
            elif isinstance(intent, (ev.NeedQuotes, ev.QueryOrders, ev.RefreshCash)):
                self._rest_jobs.put(intent)
            elif isinstance(intent, (ev.Register, ev.Unregister)):
                # a REG/REMOVE waits for the broker's ack: never on the engine thread once running
                if socket_inline:
                    self._socket_worker.handle(intent)
                else:
                    self._socket_jobs.put(intent)

    def _publish(self, force: bool = False) -> None:
        if not force and not self._want_snapshot.is_set():
            return
        if not force and not self._want_any and self.version == self._published:
            return  # nothing new: keep the request pending until something changes
        self._want_snapshot.clear()
        self._want_any = False
        self.recent.take_latency()
        self.latest = self.kernel.state.snapshot(self.kernel.settings, self.recent)
        self._published = self.version
        self.changed.set()

    # ------------------------------------------------------------------ deadlines

    def _window_end(self, now: dt.datetime) -> dt.datetime | None:
        if not self.stop_at_window_end:
            return None
        return self.kernel.settings.window_end(now)

    def _timeout(self) -> float | None:
        now = self.clock.now()
        times = [t for t in (self.kernel.next_deadline(now), self.until, self._window_end(now)) if t]
        if not times:
            return None
        return (min(times) - now).total_seconds()


def _or_none(query, bad: dict[str, str]):
    """A start-up query's answer, or None if it was malformed (logged, noted in `bad`: buying halts)."""
    try:
        return query()
    except ProtocolError as e:
        log.error("%s", e)
        bad[e.api_id or "?"] = e.message
        return None
