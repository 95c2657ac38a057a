"""The broker of benchmarks/memory_day.py (the edge of the world): ticks, and answers to every intent."""

from __future__ import annotations

import collections
import random

from kiwoom_cli.clock import ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.market import add_ticks, price_limits
from kiwoom_cli.models import (
    BalanceEvent,
    Cash,
    OrderAction,
    OrderEvent,
    OrderStatus,
    OrderType,
    Quote,
    Side,
    Tick,
)


class Broker:
    """Answers the engine's intents the way the broker and the workers would (events back in)."""

    def __init__(self, engine, clock: ManualClock, rng: random.Random, prices: dict[str, int]) -> None:
        self.engine, self.clock, self.rng, self.prices = engine, clock, rng, prices
        self.base = dict(prices)
        self.next_no = 1
        self.resting: dict[str, tuple] = {}  # order no -> (code, side, qty, price) of a buy left unfilled
        self.held: dict[str, tuple[int, int]] = {}  # code -> (qty, avg)
        self.fills = 0
        self.orders = 0
        self.filled = collections.Counter()  # side -> orders filled (what the run's summary counts)

    def hhmmss(self) -> str:
        return f"{self.clock.now():%H%M%S}"

    def quote(self, code: str) -> Quote:
        base = self.base[code]
        lim = price_limits(base)
        price = self.prices[code]
        return Quote(code, f"N{code}", price, price - base, 0.0, base, lim.upper, lim.lower)

    def drain(self) -> None:
        """Answer every intent the engine handed its workers since the last call."""
        e = self.engine
        for jobs in (e._order_jobs, e._rest_jobs, e._socket_jobs):
            while not jobs.empty():
                self.answer(jobs.get_nowait())

    def answer(self, job) -> None:
        put = self.engine.put
        if isinstance(job, ev.PlaceOrder):
            self.place(job)
        elif isinstance(job, ev.AmendOrder):
            self.amend(job)
        elif isinstance(job, ev.CancelOrder):
            no = self.new_no()
            put(ev.OrderAcked(job.intent_id, no))
            rest = self.resting.pop(job.order_no, None)
            if rest is not None:
                code, side, qty, price = rest
                put(self.event(no, code, side, OrderStatus.CONFIRMED, OrderAction.CANCEL, qty, price, 0, 0,
                               orig=job.order_no))
        elif isinstance(job, ev.NeedQuotes):
            put(ev.QuotesArrived(tuple(self.quote(c) for c in job.codes), tuple(job.codes)))
        elif isinstance(job, ev.RefreshCash):
            put(ev.CashUpdated(Cash(10**11, 10**11, 10**11), job.fills_seen))
        elif isinstance(job, ev.QueryOrders):
            put(ev.OrdersQueried((), ()))
        # Register / Unregister: acknowledged by the socket; nothing comes back on the queue

    def new_no(self) -> str:
        self.next_no += 1
        return f"{self.next_no:07d}"

    def event(self, no, code, side, status, action, qty, price, remaining, filled, fill_price=None,
              fill_qty=None, orig=None) -> OrderEvent:
        return OrderEvent(no, orig, code, f"N{code}", side, status, action, qty, price, remaining, filled,
                          fill_price, fill_qty, self.hhmmss(), None)

    def place(self, job: ev.PlaceOrder) -> None:
        self.orders += 1
        no = self.new_no()
        put = self.engine.put
        put(ev.OrderAcked(job.intent_id, no))
        price = job.price or 0
        put(self.event(no, job.code, job.side, OrderStatus.ACCEPTED, OrderAction.NEW, job.qty, price, job.qty, 0))
        if job.side is Side.BUY and job.order_type is OrderType.LIMIT and self.rng.random() < 0.2:
            self.resting[no] = (job.code, job.side, job.qty, price)  # amended after amend_after_s
            return
        self.fill(no, job.code, job.side, job.qty, price)

    def amend(self, job: ev.AmendOrder) -> None:
        no = self.new_no()
        put = self.engine.put
        put(ev.OrderAcked(job.intent_id, no))
        code, side, qty, _ = self.resting.pop(job.order_no, (job.code, Side.BUY, job.qty, job.price))
        put(self.event(no, code, side, OrderStatus.CONFIRMED, OrderAction.AMEND, job.qty, job.price, job.qty, 0,
                       orig=job.order_no))
        self.fill(no, code, side, job.qty, job.price)

    def fill(self, no: str, code: str, side: Side, qty: int, limit: int) -> None:
        """Fill in one or two parts at the market price (within a limit buy's price), then the 04."""
        put = self.engine.put
        price = self.prices[code] if not limit else min(limit, self.prices[code])
        parts = [qty] if qty < 2 or self.rng.random() < 0.7 else [qty // 2, qty - qty // 2]
        done = 0
        self.filled[side.value] += 1
        for part in parts:
            done += part
            self.fills += 1
            put(self.event(no, code, side, OrderStatus.FILLED, OrderAction.NEW, qty, limit, qty - done, done,
                           price, part))
        have, avg = self.held.get(code, (0, 0))
        have = have + qty if side is Side.BUY else max(0, have - qty)
        avg = avg or price
        self.held[code] = (have, avg)
        put(BalanceEvent(code, f"N{code}", have, have, avg, price))
        if have == 0:
            del self.held[code]

    def ticks(self, n: int) -> None:
        rng, put, codes = self.rng, self.engine.put, list(self.prices)
        for _ in range(n):
            code = codes[rng.randrange(len(codes))]
            lim = price_limits(self.base[code])
            price = lim.clamp(add_ticks(self.prices[code], rng.choice((-3, -2, -1, -1, 0, 1, 1, 2, 3))))
            self.prices[code] = price
            base = self.base[code]
            put(Tick(code, price, price - base, round((price - base) / base * 100, 2), rng.randint(-50, 50),
                     rng.randint(1, 10**6), self.hhmmss()))
