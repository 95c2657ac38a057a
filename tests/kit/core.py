"""Builders and a driver for the pure core: a Kernel on a temporary journal and a ManualClock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiwoom_cli.clock import KST, ManualClock
from kiwoom_cli.core import events as ev
from kiwoom_cli.core.kernel import Kernel
from kiwoom_cli.core.settings import RunSettings
from kiwoom_cli.core.journal import Journal
from kiwoom_cli.market import price_limits
from kiwoom_cli.models import (
    AccountTotals,
    Balance,
    Cash,
    ConditionEvent,
    Holding,
    OpenOrder,
    OrderAction,
    OrderEvent,
    OrderStatus,
    Quote,
    Side,
    Tick,
)

T0 = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=KST)
BUY_COND, SELL_COND = "1", "2"


def settings(**kw) -> RunSettings:
    kw.setdefault("buy_cond", BUY_COND)
    kw.setdefault("sell_cond", SELL_COND)
    return RunSettings(**kw)


def tick(code: str, price: int, base: int | None = None) -> Tick:
    base = price if base is None else base
    return Tick(code, price, price - base, 0.0, 1, 100, "100000")


def entry(code: str, seq: str = BUY_COND, entered: bool = True) -> ConditionEvent:
    return ConditionEvent(seq, code, entered, "100000")


def quote(code: str, price: int, base: int | None = None, name: str = "") -> Quote:
    base = price if base is None else base
    lim = price_limits(base)
    return Quote(code, name or f"N{code}", price, price - base, 0.0, base, lim.upper, lim.lower)


def quotes(*qs: Quote, requested=None) -> ev.QuotesArrived:
    return ev.QuotesArrived(tuple(qs), tuple(requested or (q.code for q in qs)))


def oe(order_no: str, code: str, side: Side, status: OrderStatus, qty: int, remaining: int, filled: int,
       fill_price: int | None = None, fill_qty: int | None = None, price: int = 0,
       action: OrderAction = OrderAction.NEW, orig: str | None = None, reason: str | None = None) -> OrderEvent:
    return OrderEvent(order_no, orig, code, f"N{code}", side, status, action, qty, price, remaining, filled,
                      fill_price, fill_qty, "100000", reason)


def fill(order_no, code, side, qty, cum, price, order_qty) -> OrderEvent:
    return oe(order_no, code, side, OrderStatus.FILLED, order_qty, order_qty - cum, cum, price, qty)


def holding(code: str, qty: int, avg: int, price: int | None = None, name: str = "") -> Holding:
    price = price or avg
    return Holding(code, name or f"N{code}", qty, qty, avg, price, qty * avg, qty * price, 0, 0.0)


def balance(*hs: Holding) -> Balance:
    return Balance(AccountTotals(0, 0, 0, 0.0, 0), tuple(hs))


def open_order(order_no, code, side, qty, price, remaining=None) -> OpenOrder:
    return OpenOrder(order_no, code, f"N{code}", side, qty, price, qty if remaining is None else remaining,
                     "보통" if price else "시장가", "095900")


class Driver:
    """Feed events to a Kernel at ManualClock times; collect what it sends."""

    def __init__(self, path: Path, s: RunSettings | None = None, *, cash: int = 100_000_000,
                 holdings: Balance | None = None, open_orders=(), clock: ManualClock | None = None,
                 prefix: str = "i", fills=(), recheck=None, cash_answer: Cash | None | bool = True) -> None:
        self.clock = clock or ManualClock(T0)
        self.settings = s or settings()
        self.journal = Journal(path)
        self.kernel = Kernel(self.settings, self.journal, id_prefix=prefix)
        self.sent: list = []
        cash_now = Cash(cash, cash, cash) if cash_answer is True else cash_answer  # None: malformed
        bal = (holdings or balance()) if holdings is not False else None  # False: a malformed answer
        self.sent += self.kernel.start(bal, list(open_orders), cash_now, self.clock.now(), fills, recheck)

    @property
    def state(self):
        return self.kernel.state

    def feed(self, *events) -> list:
        out: list = []
        for e in events:
            out += self.kernel.handle(e, self.clock.now())
        self.sent += out
        return out

    def advance(self, seconds: float) -> list:
        """Move the clock and deliver the timer if a deadline passed (what the engine's heap does)."""
        self.clock.advance(seconds)
        due = self.kernel.next_deadline(self.clock.now())
        if due is not None and due <= self.clock.now():
            return self.feed(ev.TimerFired())
        return []

    def decisions(self):
        return self.journal.decisions()

    def orders(self, kind=ev.PlaceOrder, side: Side | None = None) -> list:
        return [o for o in self.sent if isinstance(o, kind) and (side is None or o.side is side)]

    def buy(self, code: str, price: int, qty_filled: bool = True, order_no: str | None = None):
        """Entry -> quote -> buy acked -> fully filled. Return the PlaceOrder."""
        self.feed(entry(code), ev.Idle())
        placed = self.feed(quotes(quote(code, price)))
        order = next(o for o in placed if isinstance(o, ev.PlaceOrder))
        order_no = order_no or f"B{code}"
        self.feed(ev.OrderAcked(order.intent_id, order_no))
        if qty_filled:
            self.feed(fill(order_no, code, Side.BUY, order.qty, order.qty, price, order.qty))
        return order

    def close(self) -> None:
        self.journal.close()
