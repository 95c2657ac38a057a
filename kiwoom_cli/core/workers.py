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
from kiwoom_cli.errors import (
    ApiError,
    BrokerRejected,
    KiwoomError,
    OutcomeUnknown,
    RateLimited,
    TemporaryError,
    TokenInvalid,
)
from kiwoom_cli.kiwoom.codec import ProtocolError
from kiwoom_cli.models import Cash, FillRow, OpenOrder, OrderAck, Quote, Side

log = logging.getLogger("kiwoom.core.workers")


class OrderApi(Protocol):
    def buy(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def sell(self, code: str, qty: int, price: int | None) -> OrderAck: ...
    def amend(self, order_no: str, code: str, qty: int, price: int) -> OrderAck: ...
    def cancel(self, order_no: str, code: str, qty: int = 0) -> OrderAck: ...
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
    """Send place/amend/cancel requests. The intent is already journaled when a job arrives.

    If the factory's object has `submit(intent)` (core/orders.OrderService, the one order service),
    the request goes through it; otherwise the adapter's buy/sell/amend/cancel are called directly.
    An AwaitAnswer job is an order the engine already wrote on one of `lines` (kiwoom/orderline.py):
    the worker reads its answer, then reconnects any line that went down.

    A recognised refusal placed nothing. A refused token: the order is sent once more at once, with
    a fresh token (a second refusal fails it). A rate limit: reported (OrderRefused) for the engine to
    resend on its clock (RetryOrder) or give up (GiveUp); until it does, orders that arrive behind
    are held here, so none overtakes the waiting one (arrival order).
    """

    def __init__(self, name: str, api_factory: Callable[[], object], jobs: queue.SimpleQueue,
                 events: queue.SimpleQueue, lines=None) -> None:
        super().__init__(name, api_factory, jobs, events)
        self.lines = lines
        self.waiting: set[str] = set()  # rate-limited intents the engine has not resent or given up
        self.held: collections.deque = collections.deque()  # jobs that arrived behind them

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self.waiting or self.held:  # the run's summary lists them ("unanswered")
                log.warning("the run ended with %d rate-limited order(s) waiting to go again and %d held "
                            "behind them: not sent", len(self.waiting), len(self.held))

    def handle(self, api, job) -> list:
        if isinstance(job, (ev.RetryOrder, ev.GiveUp)):
            intent_id = job.intent.intent_id if isinstance(job, ev.RetryOrder) else job.intent_id
            self.waiting.discard(intent_id)
            out = self._deliver(api, job.intent) if isinstance(job, ev.RetryOrder) else []
        elif isinstance(job, ev.ORDER_INTENTS) and self.waiting:
            self.held.append(job)
            return []
        elif isinstance(job, (ev.AwaitAnswer, *ev.ORDER_INTENTS)):  # an answer already on its way is read now
            out = self._deliver(api, job.intent, job.sent) if isinstance(job, ev.AwaitAnswer) else self._deliver(api, job)
        else:
            log.error("order worker got %r", job)
            return []
        while self.held and not self.waiting:
            out += self._deliver(api, self.held.popleft())
        if self.lines is not None:
            self.lines.fill()
        return out

    def _deliver(self, api, intent, sent=None) -> list:
        """Send (or read) one order; resend once after a refused token; note a rate limit's wait."""
        first = self._outcome(api, intent, sent)
        out = [first]
        if _refused(first, ev.REFUSED_TOKEN):
            refused = getattr(sent, "token", None)
            if refused is not None:  # the line's token: the lines and this client both move on
                self.lines.renew_token(refused)
                getattr(api, "refuse_token", lambda token: None)(refused)
            again = self._outcome(api, intent)
            if _refused(again, ev.REFUSED_TOKEN):
                again = ev.OrderFailed(intent.intent_id, f"not sent: a fresh token was refused too ({again.reason})",
                                       again.error_code)
            out = [dataclasses.replace(first, resent=True), again]
        if _refused(out[-1], ev.REFUSED_RATE):
            self.waiting.add(intent.intent_id)
        return out

    def _outcome(self, api, intent, sent=None):
        try:
            if sent is not None:
                return ev.OrderAcked(intent.intent_id, self.lines.answer(sent).order_no)
            submit = getattr(api, "submit", None)
            return submit(intent) if submit is not None else _send(api, intent)
        except OutcomeUnknown as e:
            return ev.OrderUnknown(intent.intent_id, e.message)
        except (RateLimited, TokenInvalid) as e:  # a recognised refusal: nothing placed
            kind = ev.REFUSED_RATE if isinstance(e, RateLimited) else ev.REFUSED_TOKEN
            return ev.OrderRefused(intent.intent_id, e.message, e.code, kind)
        except BrokerRejected as e:
            return ev.OrderFailed(intent.intent_id, e.message, e.code)
        except (TemporaryError, ApiError) as e:  # refused before anything was placed (adapter contract)
            return ev.OrderFailed(intent.intent_id, e.message, getattr(e, "code", None))
        except KiwoomError as e:
            return ev.OrderUnknown(intent.intent_id, e.message)
        except Exception as e:
            log.exception("order request %s failed unexpectedly", intent.intent_id)
            return ev.OrderUnknown(intent.intent_id, f"internal error: {type(e).__name__}")


def _refused(event, kind: str) -> bool:
    return isinstance(event, ev.OrderRefused) and event.kind == kind


def order_call(api, job, prefix: str = ""):
    """Call the adapter method for an order intent: buy/sell/amend/cancel, or its `prefix` variant
    (OrderLines' try_buy/...: the same arguments, an answer to read later)."""
    if isinstance(job, ev.PlaceOrder):
        name = "buy" if job.side is Side.BUY else "sell"
        return getattr(api, prefix + name)(job.code, job.qty, job.price)
    if isinstance(job, ev.AmendOrder):
        return getattr(api, prefix + "amend")(job.order_no, job.code, job.qty, job.price)
    return getattr(api, prefix + "cancel")(job.order_no, job.code, job.qty)


def _send(api: OrderApi, job) -> ev.OrderAcked:
    return ev.OrderAcked(job.intent_id, order_call(api, job).order_no)


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
