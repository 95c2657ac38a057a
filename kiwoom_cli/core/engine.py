"""The engine: one thread owns the Kernel and consumes one SimpleQueue; workers do the I/O.

Threads (docs/decisions.md §9): the socket reader (inside the SocketClient) and the two workers put events
on `events`; the engine blocks in `events.get(timeout=<next deadline>)`, never polls. After each
batch it sends an Idle (the moment to price a burst of entries in one quote request) and, when the
dashboard asked for one, publishes a fresh snapshot and sets `changed`. A request made with
`if_changed=True` (the dashboard's) is answered only once the state has changed since the last
published snapshot (`version`), so an idle session publishes nothing and wakes nobody.
Shutdown: STOP (or StopRun) on the engine queue -> STOP to every worker -> join.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from kiwoom_cli.clock import Clock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.catchup import as_condition_events
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.reconcile import GONE_CONFIRM_S
from kiwoom_cli.core.workers import OrderWorker, RestWorker, SocketWorker, order_call
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import ConditionEvent, ConditionListed, SocketStatus

log = logging.getLogger("kiwoom.core.engine")


class SocketApi(Protocol):
    def start(self, timeout: float = 10.0) -> None: ...
    def stop(self) -> None: ...
    def register(self, codes, types: Sequence[str] = ("0B",)) -> None: ...
    def unregister(self, codes, types: Sequence[str] = ("0B",)) -> None: ...
    def register_account(self) -> None: ...
    def subscribe_condition(self, seq: str, timeout: float = 10.0) -> list[str]: ...


class OrderLinesApi(Protocol):
    """kiwoom/orderline.OrderLines: try_buy/try_sell/try_amend/try_cancel write now or return None."""

    def fill(self) -> None: ...
    def try_buy(self, code: str, qty: int, price: int | None) -> object | None: ...


class Engine:
    def __init__(self, kernel: Kernel, *, socket: SocketApi, rest_factory: Callable[[], object],
                 clock: Clock, order_factory: Callable[[], object] | None = None,
                 events: queue.SimpleQueue | None = None, order_lines: OrderLinesApi | None = None,
                 until: dt.datetime | None = None, stop_at_window_end: bool = False) -> None:
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
        # Orders are written here when nothing has to wait (kiwoom/orderline.py); the order worker
        # reads their answers, and sends the others itself. `_queued`: intents handed to the worker
        # to send (or refused for a rate limit, to send again) and not yet answered; while there are
        # any, later orders queue behind them (in order).
        self.order_lines = order_lines
        self._queued: set[str] = set()
        self._workers = [
            OrderWorker("kiwoom-orders", order_factory or rest_factory, self._order_jobs, self.events,
                        lines=order_lines),
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
        # hop latency (reader receive -> engine), ms: (last, peak since the previous publish), for the header
        self.latency: tuple[float, float] | None = None
        self._lat_last = self._lat_peak = -1.0
        self.log: collections.deque = collections.deque(maxlen=200)  # recent (time, Decision)
        self.conditions: collections.deque = collections.deque(maxlen=50)  # recent (time, ConditionEvent)
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
        if self.order_lines is not None:
            self.order_lines.fill()  # connected before the first entry: the engine never connects
        self.socket.start()
        try:
            self.socket.register_account()
            now = self.clock.now()
            # registrations at start are made here, acked, before the condition subscriptions
            intents = self.kernel.start(balance, open_orders, cash, now, fills, recheck=self._balance_later, bad=bad)
            self._dispatch(intents, socket_inline=True)
            self._note(now)
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
        if event is ev.STOP or isinstance(event, ev.StopRun):
            self.exit_reason = self.exit_reason or "stopped"
            return False
        if isinstance(event, SocketStatus) and event.state == "kicked":
            # another login took the app key (R10001); fighting it back would kick forever (docs/decisions.md §2)
            self.kernel.handle(event, self.clock.now())
            self.exit_reason = f"kicked: {event.detail}"
            return False
        now = self.clock.now()
        if isinstance(event, ev.TimerFired):
            if self.until is not None and now >= self.until:
                self.exit_reason = "until reached"
                return False
            end = self._window_end(now)
            if end is not None and now >= end:
                self.exit_reason = "window closed"
                return False
        if isinstance(event, ev.Idle) and not self._wants_idle():
            return True
        received = getattr(event, "received", 0.0)
        if received:
            lat = self.clock.monotonic() - received
            self._lat_last = lat
            self._lat_peak = max(self._lat_peak, lat)
        if type(event) is ConditionEvent:
            self.conditions.append((now, event))
        elif isinstance(event, ev.ORDER_OUTCOMES):
            self._queued.discard(event.intent_id)
        elif isinstance(event, ev.OrderRefused) and event.kind == ev.REFUSED_RATE:
            self._queued.add(event.intent_id)  # waiting to go again: later orders queue behind it
        self._dispatch(self.kernel.handle(event, now))  # the orders leave once the turn is committed
        if type(event) is ConditionListed:  # what the gap hid, shown with the pushes
            self.conditions.extend((now, c) for c in as_condition_events(self.kernel.state.members.last))
        self._note(now)
        self.version += 1
        return True

    def _wants_idle(self) -> bool:
        state = self.kernel.state
        return bool(state.awaiting) and not state.quotes_in_flight

    def _dispatch(self, intents: list, socket_inline: bool = False) -> None:
        for intent in intents:
            if isinstance(intent, ev.ORDER_INTENTS):
                self._order(intent)
            elif isinstance(intent, (ev.RetryOrder, ev.GiveUp)):  # the order worker holds what came after
                if isinstance(intent, ev.GiveUp):
                    self._queued.discard(intent.intent_id)
                self._order_jobs.put(intent)
            elif isinstance(intent, (ev.NeedQuotes, ev.QueryOrders, ev.RefreshCash)):
                self._rest_jobs.put(intent)
            elif isinstance(intent, (ev.Register, ev.Unregister)):
                # a REG/REMOVE waits for the broker's ack: never on the engine thread once running
                if socket_inline:
                    self._socket_worker.handle(intent)
                else:
                    self._socket_jobs.put(intent)

    def _order(self, intent) -> None:
        """Write the order now if nothing has to wait, else hand it to the order worker to send."""
        if self.order_lines is not None and not self._queued:
            sent = order_call(self.order_lines, intent, "try_")
            if sent is not None:
                self._order_jobs.put(ev.AwaitAnswer(intent, sent))
                return
        self._queued.add(intent.intent_id)
        self._order_jobs.put(intent)

    def _note(self, now: dt.datetime) -> None:
        for d in self.kernel.decisions:
            self.log.append((now, d))
        self.kernel.decisions = []

    def _publish(self, force: bool = False) -> None:
        if not force and not self._want_snapshot.is_set():
            return
        if not force and not self._want_any and self.version == self._published:
            return  # nothing new: keep the request pending until something changes
        self._want_snapshot.clear()
        self._want_any = False
        if self._lat_last >= 0:
            peak = self._lat_peak if self._lat_peak >= 0 else self._lat_last
            self.latency = (self._lat_last * 1000, peak * 1000)
            self._lat_peak = -1.0
        self.latest = self.kernel.state.snapshot()
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
