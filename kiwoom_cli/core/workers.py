"""The REST worker and the order worker: each blocks on its own SimpleQueue, calls the broker
adapter and reports back as events on the engine's queue. No polling; STOP ends them.

Each worker builds its own client in its own thread (requests.Session is not thread-safe, §2).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from kiwoom_cli.core import events as ev
from kiwoom_cli.errors import (
    ApiError,
    BrokerRejected,
    KiwoomError,
    OutcomeUnknown,
    TemporaryError,
)
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
    """

    def handle(self, api, job) -> list:
        if not isinstance(job, ev.ORDER_INTENTS):
            log.error("order worker got %r", job)
            return []
        try:
            submit = getattr(api, "submit", None)
            return [submit(job) if submit is not None else _send(api, job)]
        except OutcomeUnknown as e:
            return [ev.OrderUnknown(job.intent_id, e.message)]
        except BrokerRejected as e:
            return [ev.OrderFailed(job.intent_id, e.message, e.code)]
        except (TemporaryError, ApiError) as e:  # refused before anything was placed (adapter contract)
            return [ev.OrderFailed(job.intent_id, e.message, getattr(e, "code", None))]
        except KiwoomError as e:
            return [ev.OrderUnknown(job.intent_id, e.message)]
        except Exception as e:
            log.exception("order request %s failed unexpectedly", job.intent_id)
            return [ev.OrderUnknown(job.intent_id, f"internal error: {type(e).__name__}")]


def _send(api: OrderApi, job) -> ev.OrderAcked:
    if isinstance(job, ev.PlaceOrder):
        send = api.buy if job.side is Side.BUY else api.sell
        ack = send(job.code, job.qty, job.price)
    elif isinstance(job, ev.AmendOrder):
        ack = api.amend(job.order_no, job.code, job.qty, job.price)
    else:
        ack = api.cancel(job.order_no, job.code, job.qty)
    return ev.OrderAcked(job.intent_id, ack.order_no)


class RestWorker(Worker):
    """Quotes (one ka10095 per batch), cash refreshes (coalesced), settle queries."""

    def handle(self, api: QueryApi, job) -> list:
        if isinstance(job, ev.NeedQuotes):
            try:
                return [ev.QuotesArrived(tuple(api.quotes(job.codes)), job.codes)]
            except KiwoomError as e:
                return [ev.QuotesFailed(job.codes, e.message)]
            except Exception as e:
                log.exception("quote request failed")
                return [ev.QuotesFailed(job.codes, f"internal error: {type(e).__name__}")]
        if isinstance(job, ev.RefreshCash):
            try:
                return [ev.CashUpdated(api.cash(), job.fills_seen)]
            except Exception as e:  # noqa: BLE001 - stale cash only makes the checks stricter (fills stay counted)
                log.warning("cash refresh failed: %s", e)
                return []
        if isinstance(job, ev.QueryOrders):
            try:
                return [ev.OrdersQueried(tuple(api.open_orders()), tuple(api.fills()))]
            except Exception as e:
                if not isinstance(e, KiwoomError):
                    log.exception("order query failed")
                return [ev.QueryFailed(str(e) or type(e).__name__)]
        log.error("rest worker got %r", job)
        return []
