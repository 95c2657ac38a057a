"""The REST worker, the order worker and the socket-command worker: each blocks on its own
SimpleQueue, calls the broker adapter and reports back as events on the engine's queue. No
polling; STOP ends them.

Each worker builds its own client in its own thread (one client per thread, docs/decisions.md §2).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import outcomes
from kiwoom_cli.errors import KiwoomError
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import Cash, FillRow, OpenOrder, Quote

log = logging.getLogger("kiwoom.core.workers")


class OrderSender(Protocol):
    """core/orders.OrderService: sends a journaled intent once through the order gateway."""

    def submit(self, intent) -> ev.OrderAcked | ev.OrderFailed | ev.OrderUnknown | ev.OrderRefused: ...
    def close(self) -> None: ...


class QueryApi(Protocol):
    def quotes(self, codes: Sequence[str]) -> list[Quote]: ...
    def cash(self) -> Cash: ...
    def open_orders(self, code: str | None = None) -> list[OpenOrder]: ...
    def fills(self, code: str | None = None) -> list[FillRow]: ...
    def close(self) -> None: ...


class Worker(threading.Thread):
    """Take jobs until STOP; each job's events go to the engine queue in order."""

    def __init__(self, name: str, api_factory: Callable[[], object], jobs: queue.SimpleQueue,
                 events: queue.SimpleQueue) -> None:
        super().__init__(name=name, daemon=True)
        self.api_factory = api_factory
        self.jobs = jobs
        self.events = events

    def run(self) -> None:
        api = self.api_factory()
        try:
            while True:
                job = self.jobs.get()
                if job is ev.STOP:
                    return
                for event in self.handle(api, job):
                    self.events.put(event)
        finally:
            close = getattr(api, "close", None)
            if close is not None:
                close()

    def handle(self, api, job) -> list:  # pragma: no cover - overridden
        raise NotImplementedError


class OrderWorker(Worker):
    """Send place/amend/cancel intents, each already journaled (committed) when its job arrives.

    The factory's object is the worker's own order service (core/orders.OrderService over its own
    RestClient): `submit(intent)` sends it through the order gateway (kiwoom/gateway.py) and returns
    its outcome, mapped by core/outcomes.py; an error it raises (a bug) is mapped the same way.

    A recognised refusal placed nothing. A refused token: the order is sent once more at once, with
    a fresh token (a second refusal fails it). A rate limit: reported (OrderRefused) for the engine to
    resend on its clock (RetryOrder) or give up (GiveUp); until it does, orders that arrive behind
    are held here, so none overtakes the waiting one (arrival order).
    """

    def __init__(self, name: str, api_factory: Callable[[], OrderSender], jobs: queue.SimpleQueue,
                 events: queue.SimpleQueue) -> None:
        super().__init__(name, api_factory, jobs, events)
        self.waiting: set[str] = set()  # rate-limited intents the engine has not resent or given up
        self.held: collections.deque = collections.deque()  # jobs that arrived behind them

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self.waiting or self.held:  # the run's summary lists them ("unanswered")
                log.warning("the run ended with %d rate-limited order(s) waiting to go again and %d held "
                            "behind them: not sent", len(self.waiting), len(self.held))

    def handle(self, api: OrderSender, job) -> list:
        if isinstance(job, (ev.RetryOrder, ev.GiveUp)):
            intent_id = job.intent.intent_id if isinstance(job, ev.RetryOrder) else job.intent_id
            self.waiting.discard(intent_id)
            out = self._deliver(api, job.intent) if isinstance(job, ev.RetryOrder) else []
        elif isinstance(job, ev.ORDER_INTENTS) and self.waiting:
            self.held.append(job)
            return []
        elif isinstance(job, ev.ORDER_INTENTS):
            out = self._deliver(api, job)
        else:
            log.error("order worker got %r", job)
            return []
        while self.held and not self.waiting:
            out += self._deliver(api, self.held.popleft())
        return out

    def _deliver(self, api: OrderSender, intent) -> list:
        """Send one order; resend once after a refused token; note a rate limit's wait."""
        first = self._outcome(api, intent)
        out = [first]
        if _refused(first, ev.REFUSED_TOKEN):  # the client carries a fresh token on its next call
            again = self._outcome(api, intent)
            if _refused(again, ev.REFUSED_TOKEN):
                again = ev.OrderFailed(intent.intent_id, f"not sent: a fresh token was refused too ({again.reason})",
                                       again.error_code)
            out = [dataclasses.replace(first, resent=True), again]
        if _refused(out[-1], ev.REFUSED_RATE):
            self.waiting.add(intent.intent_id)
        return out

    @staticmethod
    def _outcome(api: OrderSender, intent):
        try:
            return api.submit(intent)
        except Exception as e:  # a bug while the bytes may be out: unknown, settled by a query
            log.exception("order request %s failed unexpectedly", intent.intent_id)
            return outcomes.outcome(intent.intent_id, e)


def _refused(event, kind: str) -> bool:
    return isinstance(event, ev.OrderRefused) and event.kind == kind


class RestWorker(Worker):
    """Quotes (one ka10095 per batch), cash refreshes (coalesced), settle queries.

    A malformed answer (ProtocolError, after the client's retries) is also reported as BadAnswer:
    buying halts (core/halt.py); it never reads as "no orders" or "no cash change".
    """

    def handle(self, api: QueryApi, job) -> list:
        try:
            return self._handle(api, job)
        except ProtocolError as e:  # the failure events below, then the halt
            failed = {ev.NeedQuotes: lambda: [ev.QuotesFailed(job.codes, e.message)],
                      ev.QueryOrders: lambda: [ev.QueryFailed(e.message)]}.get(type(job), list)()
            return [*failed, ev.BadAnswer(e.api_id or "?", e.message)]

    def _handle(self, api: QueryApi, job) -> list:
        if isinstance(job, ev.NeedQuotes):
            try:
                return [ev.QuotesArrived(tuple(api.quotes(job.codes)), job.codes)]
            except ProtocolError:
                raise
            except KiwoomError as e:
                return [ev.QuotesFailed(job.codes, e.message)]
            except Exception as e:
                log.exception("quote request failed")
                return [ev.QuotesFailed(job.codes, f"internal error: {type(e).__name__}")]
        if isinstance(job, ev.RefreshCash):
            try:
                return [ev.CashUpdated(api.cash(), job.fills_seen)]
            except ProtocolError:
                raise
            except Exception as e:  # noqa: BLE001 - stale cash only makes the checks stricter (fills stay counted)
                log.warning("cash refresh failed: %s", e)
                return []
        if isinstance(job, ev.QueryOrders):
            try:
                return [ev.OrdersQueried(tuple(api.open_orders()), tuple(api.fills()))]
            except ProtocolError:
                raise
            except Exception as e:
                if not isinstance(e, KiwoomError):
                    log.exception("order query failed")
                return [ev.QueryFailed(str(e) or type(e).__name__)]
        log.error("rest worker got %r", job)
        return []


class SocketWorker(threading.Thread):
    """Send Register/Unregister to the socket client, which blocks until the broker's REG/REMOVE ack.

    Off the engine thread: a REG round trip took 1.7 ms p50 on loopback (tens of ms against the
    broker), during which the engine handled nothing. One thread keeps the intents in order. The
    kernel counts a registration when it emits the intent (what risk checks against reg_limit), so
    the count does not wait for the ack; the socket client keeps its wanted set for reconnects.
    A failed registration is not only logged: a held code without ticks has no stop-loss, so the
    engine hears of it (RegisterFailed, journaled and shown) and the worker retries it with backoff,
    waiting on its queue with a timeout until the next retry is due (a deadline, not a poll).
    """

    RETRY_S = (5.0, 60.0)  # first retry, longest wait

    def __init__(self, name: str, socket, jobs: queue.SimpleQueue,
                 events: queue.SimpleQueue | None = None, clock=time.monotonic) -> None:
        super().__init__(name=name, daemon=True)
        self.socket = socket
        self.jobs = jobs
        self.events = events
        self.clock = clock
        self.retry: dict[str, tuple[float, float]] = {}  # code -> (due, current backoff)

    def run(self) -> None:
        while True:
            try:
                job = self.jobs.get(timeout=self._wait()) if self.retry else self.jobs.get()
            except queue.Empty:
                self._retry_due()
                continue
            if job is ev.STOP:
                return
            self.handle(job)

    def handle(self, job) -> None:
        """Make one socket call; report (never raise) a failure."""
        if isinstance(job, ev.Register):
            self._register(tuple(job.codes), self.RETRY_S[0])
        elif isinstance(job, ev.Unregister):
            for code in job.codes:
                self.retry.pop(code, None)  # not wanted any more: stop retrying it
            try:
                self.socket.unregister(list(job.codes))
            except Exception as e:  # noqa: BLE001 - an unwanted registration costs a slot, not money
                log.warning("unregister %s failed: %s", ",".join(job.codes), e)
        else:
            log.error("socket worker got %r", job)

    def _register(self, codes: tuple[str, ...], backoff: float) -> None:
        try:
            self.socket.register(list(codes))
        except Exception as e:  # noqa: BLE001 - reported to the engine below, and retried
            log.warning("register %s failed: %s", ",".join(codes), e)
            for code in codes:
                self.retry[code] = (self.clock() + backoff, min(backoff * 2, self.RETRY_S[1]))
            if self.events is not None:
                self.events.put(ev.RegisterFailed(codes, str(e), backoff))
        else:
            for code in codes:
                self.retry.pop(code, None)

    def _wait(self) -> float:
        return max(0.0, min(due for due, _ in self.retry.values()) - self.clock())

    def _retry_due(self) -> None:
        now = self.clock()
        due = {code: nxt for code, (at, nxt) in self.retry.items() if at <= now}
        for code, backoff in due.items():
            del self.retry[code]
            self._register((code,), backoff)
