"""Trading state: positions, pending orders, prices, cash and day P&L. Owned by one thread, no locks.

`apply(event, now)` records facts from the broker and workers; `apply_output(out, now)` records what
the strategy decided (a pending order, an armed trailing stop ...). Both return change notes the
engine journals. The strategy reads the live State (zero copy, read-only by contract) or a
`snapshot()` (frozen, for the dashboard and tests); both expose the same names.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import prices, retry
from kiwoom_cli.core.catchup import Membership
from kiwoom_cli.core.reads import Reads
from kiwoom_cli.core.records import (
    Awaiting,
    AwaitingView,
    FillApplied,
    FillFlagged,
    Mark,
    Order,
    OrderClosed,
    OrderSettled,
    OrderView,
    Position,
    PositionChanged,
    PositionView,
    freeze,
)
from kiwoom_cli.core.settle import settle
from kiwoom_cli.market import CostRates
from kiwoom_cli.models import (
    BalanceEvent,
    OrderAction,
    OrderEvent,
    OrderStatus,
    Side,
    Tick,
)

_MAX_ORPHANS = 256
log = logging.getLogger(__name__)
QUERY_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Snapshot(Reads):
    """An immutable copy of the state for the dashboard and tests."""

    costs: CostRates
    positions: Mapping[str, PositionView]
    orders: Mapping[str, OrderView]
    marks: Mapping[str, Mark]
    awaiting: Mapping[str, AwaitingView]
    priced: tuple[AwaitingView, ...]
    registered: frozenset[str]
    cash: int | None
    spent: Mapping[int, int]
    fill_seq: int
    realised: float
    paused: bool
    flags: Mapping[str, str]
    quotes_in_flight: bool
    query_in_flight: bool
    query_retry_at: dt.datetime | None
    price_drops: Mapping[str, int]
    quotes_asked: Mapping[str, dt.datetime]
    retries: Mapping[str, object] = field(default_factory=dict)  # intent id -> retry.Retry (copies)
    members: Membership = field(default_factory=Membership)  # a copy


class State(Reads):
    def __init__(self, costs: CostRates | None = None) -> None:
        self.costs = costs or CostRates()
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, Order] = {}  # by intent id, insertion = placement order
        self.by_no: dict[str, str] = {}  # order no -> intent id
        self.marks: dict[str, Mark] = {}
        self.awaiting: dict[str, Awaiting] = {}  # insertion = arrival order
        self.priced: tuple[Awaiting, ...] = ()  # entries the last QuotesArrived/QuotesFailed answered
        self.registered: set[str] = set()
        self.cash: int | None = None  # orderable cash (kt00001 ord_alow_amt, docs/decisions.md §7)
        self.spent: dict[int, int] = {}  # fill seq -> KRW paid since the cash figure
        self.fill_seq = 0
        self.realised = 0.0
        self.paused = False
        self.flags: dict[str, str] = {}
        self.quotes_in_flight = False
        self.query_in_flight = False
        self.query_retry_at: dt.datetime | None = None  # back-off after a failed settle query
        self.side_intents: dict[str, tuple[str, str]] = {}  # amend/cancel intent -> (target, kind)
        self.orphans: dict[str, list[OrderEvent]] = {}  # events for order numbers not (yet) known
        self.today: dt.date | None = None  # the day of the latest event: limits of another day do not count
        self.price_drops: dict[str, int] = {}  # code -> ticks/quotes dropped as implausible (core/prices.py)
        self.quotes_asked: dict[str, dt.datetime] = {}  # code -> when a quote was last asked for
        self.suspect: dict[str, FillFlagged] = {}  # order no -> a fill applied at a substitute price
        self.sent: dict[str, object] = {}  # order intent id -> the intent as last sent, until answered
        self.retries: dict[str, retry.Retry] = {}  # rate-limited intents to send again (core/retry.py)
        self.members = Membership()  # condition members and socket outages (core/catchup.py)

    # ------------------------------------------------------------------ views

    def snapshot(self) -> Snapshot:
        """Return a frozen copy for another thread or a test."""
        return Snapshot(
            costs=self.costs,
            positions=MappingProxyType({c: freeze(p, PositionView) for c, p in self.positions.items()}),
            orders=MappingProxyType({i: freeze(o, OrderView) for i, o in self.orders.items()}),
            marks=MappingProxyType(dict(self.marks)),
            awaiting=MappingProxyType({c: freeze(a, AwaitingView) for c, a in self.awaiting.items()}),
            priced=tuple(freeze(a, AwaitingView) for a in self.priced),
            registered=frozenset(self.registered),
            cash=self.cash,
            spent=MappingProxyType(dict(self.spent)),
            fill_seq=self.fill_seq,
            realised=self.realised,
            paused=self.paused,
            flags=MappingProxyType(dict(self.flags)),
            quotes_in_flight=self.quotes_in_flight,
            query_in_flight=self.query_in_flight,
            query_retry_at=self.query_retry_at,
            price_drops=MappingProxyType(dict(self.price_drops)),
            quotes_asked=MappingProxyType(dict(self.quotes_asked)),
            retries=MappingProxyType({i: copy.copy(r) for i, r in self.retries.items()}),
            members=self.members.copy(),
        )

    # ------------------------------------------------------------------ facts in

    def apply(self, event: object, now: dt.datetime) -> list:
        """Record an inbound event; return change notes (fills, position and order changes, dropped prices)."""
        self.today = now.date()
        if isinstance(event, Tick):
            return prices.take_tick(self, event, now)
        self.members.apply(event, now)
        if isinstance(event, OrderEvent):
            return self._order_event(event)
        if isinstance(event, BalanceEvent):
            return self._balance(event)
        if isinstance(event, ev.QuotesArrived):
            notes: list = []
            for q in event.quotes:
                notes += prices.take_quote(self, q, now)
            self._take_priced(event.requested)
            return notes
        if isinstance(event, ev.QuotesFailed):
            self._take_priced(event.codes)
            return []
        if isinstance(event, ev.CashUpdated):
            self.cash = event.cash.orderable
            seen = event.fills_seen
            self.spent = {} if seen is None else {s: a for s, a in self.spent.items() if s > seen}
            return []
        if isinstance(event, ev.ORDER_OUTCOMES):
            self.sent.pop(event.intent_id, None)
            self.retries.pop(event.intent_id, None)
        if isinstance(event, ev.OrderRefused):
            intent = self.sent.get(event.intent_id)
            if intent is not None and event.kind == ev.REFUSED_RATE:
                retry.refused(self.retries, intent, event, now)
            return []
        if isinstance(event, ev.OrderAcked):
            return self._acked(event.intent_id, event.order_no)
        if isinstance(event, ev.OrderFailed):
            if event.intent_id in self.orders:
                return self.close_order(self.orders[event.intent_id], "failed", event.reason)
            self.side_intents.pop(event.intent_id, None)
            return []
        if isinstance(event, ev.OrderUnknown):
            order = self.orders.get(event.intent_id)
            if order is not None and order.order_no is None:
                order.unknown, order.unknown_since = True, now
            return []
        if isinstance(event, ev.QueryFailed):
            self.query_in_flight = False
            self.query_retry_at = now + dt.timedelta(seconds=QUERY_BACKOFF_S)
            return []
        if isinstance(event, ev.OrdersQueried):
            self.query_in_flight, self.query_retry_at = False, None
            return settle(self, event, now)
        if isinstance(event, (ev.Pause, ev.SellAll)):  # sell all pauses buying too (docs/decisions.md §7)
            self.paused = True
        elif isinstance(event, ev.Resume):
            self.paused = False
        return []

    def _take_priced(self, codes) -> None:
        self.quotes_in_flight = False
        wanted = set(codes)
        self.priced = tuple(a for a in self.awaiting.values() if a.code in wanted)
        for a in self.priced:
            del self.awaiting[a.code]

    def _acked(self, intent_id: str, order_no: str) -> list:
        side = self.side_intents.pop(intent_id, None)
        if side is not None:  # an amend or cancel got its own (new) number
            order = self.orders.get(side[0])
            if order is None:
                return []
            self._alias(order, order_no, side[1])
        else:
            order = self.orders.get(intent_id)
            if order is None:
                return []
            order.order_no, order.unknown, order.unknown_since = order_no, False, None
            self._alias(order, order_no, "new")
        notes: list = []
        for event in self.orphans.pop(order_no, []):
            notes += self._order_event(event)
        return notes

    def _alias(self, order: Order, order_no: str, kind: str) -> None:
        order.numbers[order_no] = kind
        self.by_no[order_no] = order.intent_id

    def attach(self, intent_id: str, order_no: str) -> list:
        """Give an unknown order the number a query found for it."""
        notes = self._acked(intent_id, order_no)
        return [OrderSettled(intent_id, order_no), *notes]

    def _order_event(self, e: OrderEvent) -> list:
        intent_id = self.by_no.get(e.order_no)
        if intent_id is None and e.orig_order_no and e.orig_order_no in self.by_no:
            intent_id = self.by_no[e.orig_order_no]  # amend/cancel seen before its REST answer
            order = self.orders.get(intent_id)
            if order is not None:
                kind = "cancel" if e.action is OrderAction.CANCEL else "amend"
                self._alias(order, e.order_no, kind)
        order = self.orders.get(intent_id) if intent_id else None
        if order is None:
            if len(self.orphans) < _MAX_ORPHANS:
                self.orphans.setdefault(e.order_no, []).append(e)
            return []
        kind = order.numbers.get(e.order_no, "new")
        if e.status is OrderStatus.REJECTED:
            if kind == "new":
                return self.close_order(order, "rejected", e.reject_reason or "")
            return []  # an amend/cancel was refused: the order itself lives on
        if e.status is OrderStatus.FILLED:
            return self._fill(order, e)
        if e.status is OrderStatus.ACCEPTED:
            if kind != "cancel":
                order.remaining = e.remaining_qty
            if kind == "amend" and e.order_price:
                order.price = e.order_price
            return []
        # CONFIRMED / CANCELLED: a cancel (or an amend) is done
        if kind == "cancel" or e.status is OrderStatus.CANCELLED or e.action is OrderAction.CANCEL:
            return self.close_order(order, "cancelled", "")
        return []

    def _fill(self, order: Order, e: OrderEvent) -> list:
        # cumulative fill of this order number from 900 - 902, which holds whether or not 911 is
        # cumulative (unverified, docs/protocol.md, FIDs we read); a repeated frame then adds nothing
        cumulative = e.order_qty - e.remaining_qty if e.order_qty > 0 else e.filled_qty
        before = order.filled_by_no.get(e.order_no, 0)
        delta = cumulative - before
        if delta <= 0:
            return []
        order.filled_by_no[e.order_no] = cumulative
        price = e.fill_price or e.order_price
        order.filled += delta
        order.remaining = e.remaining_qty
        notes = self.apply_fill(order, e.order_no, delta, price, e.name)
        if order.remaining <= 0:
            notes += self.close_order(order, "filled", "")
        return notes

    def apply_fill(self, order: Order, order_no: str, qty: int, price: int, name: str = "") -> list:
        """Apply `qty` shares filled at `price` to the position; return notes. Never dropped (the
        shares are real): an implausible price is replaced, flagged and checked (core/prices.py)."""
        flag = prices.flag_fill(order, self.marks.get(order.code), self.today, order_no, qty, price)
        if flag is None:
            return self._apply_fill(order, order_no, qty, price, name)
        self.suspect[order_no] = flag
        log.warning("%s: fill of %d at %r: %s; applied at %s", order.code, qty, price, flag.reason, flag.used)
        return [*self._apply_fill(order, order_no, qty, flag.used, name), flag]

    def _apply_fill(self, order: Order, order_no: str, qty: int, price: int, name: str = "") -> list:
        self.fill_seq += 1
        pos = self.positions.get(order.code)
        c = self.costs
        if order.side is Side.BUY:
            self.spent[self.fill_seq] = qty * price + c.commission_on(qty * price)
            if pos is None:
                pos = Position(order.code, name or order.name, 0, 0, 0.0, price)
                self.positions[order.code] = pos
            pos.avg_price = (pos.avg_price * pos.qty + price * qty) / (pos.qty + qty)
            pos.qty += qty
            pos.sellable += qty
            pos.price = pos.price or price
            pos.return_pct = self.net_return(pos.avg_price, pos.price)
            fill = FillApplied(order.intent_id, order_no, order.code, Side.BUY, qty, price, 0.0)
            return [fill, PositionChanged(order.code, "buy fill")]
        avg = pos.avg_price if pos else float(price)
        realised = qty * (price * (1 - c.commission - c.sell_tax) - avg * (1 + c.commission))
        self.realised += realised
        fill = FillApplied(order.intent_id, order_no, order.code, Side.SELL, qty, price, realised)
        if pos is None:
            return [fill]
        pos.qty -= qty
        if pos.qty <= 0:
            del self.positions[order.code]
            return [fill, PositionChanged(order.code, "sold", removed=True)]
        return [fill, PositionChanged(order.code, "sell fill")]

    def close_order(self, order: Order, status: str, reason: str) -> list:
        self.orders.pop(order.intent_id, None)
        for no in order.numbers:
            self.by_no.pop(no, None)
        notes: list = [OrderClosed(order.intent_id, status, reason)]
        if order.side is Side.SELL:
            pos = self.positions.get(order.code)
            if pos is not None and pos.sell_intent == order.intent_id:
                pos.sell_intent = None
                pos.sellable = min(pos.qty, pos.sellable + max(order.remaining, 0))
                notes.append(PositionChanged(order.code, f"sell {status}"))
        return notes

    def _balance(self, b: BalanceEvent) -> list:
        # 04 is the broker's truth, but only once our own orders for the code are done: it can
        # arrive before the 00 fill it reflects, and the fill would then be counted twice.
        if any(o.code == b.code for o in self.orders.values()):
            return []
        pos = self.positions.get(b.code)
        if b.qty <= 0:
            if pos is None:
                return []
            del self.positions[b.code]
            return [PositionChanged(b.code, "balance: none left", removed=True)]
        if pos is None:
            pos = Position(b.code, b.name, b.qty, b.sellable_qty, float(b.avg_price), managed=False)
            self.positions[b.code] = pos
        avg = b.avg_price if prices.plausible_price(b.avg_price) else pos.avg_price  # a bounded number, or kept
        pos.qty, pos.sellable, pos.avg_price = b.qty, b.sellable_qty, float(avg)
        if b.current_price and prices.problem(b.current_price, self.marks.get(b.code), self.today) is None:
            pos.price = b.current_price
        pos.return_pct = self.net_return(pos.avg_price, pos.price)
        return [PositionChanged(b.code, "balance")]

    # ------------------------------------------------------------------ decisions in

    def apply_output(self, out: object, now: dt.datetime) -> list:
        """Record what the strategy (or the user) decided; return change notes."""
        if isinstance(out, ev.ORDER_INTENTS):
            self.sent[out.intent_id] = out
        if isinstance(out, ev.RetryOrder):
            return retry.retrying(self, out.intent)
        if isinstance(out, ev.GiveUp):
            return self.apply(ev.OrderFailed(out.intent_id, out.reason, out.error_code), now)
        if isinstance(out, ev.PlaceOrder):
            self.orders[out.intent_id] = Order(
                out.intent_id, out.side, out.code, out.qty, out.price, out.order_type, out.rule,
                out.origin, now, name=out.name, upper=out.upper, lower=out.lower, reserve=out.reserve,
            )
            pos = self.positions.get(out.code)
            if out.side is Side.SELL and pos is not None:
                pos.sell_intent = out.intent_id
                pos.sellable = max(0, pos.sellable - out.qty)
                return [PositionChanged(out.code, "sell placed")]
        elif isinstance(out, ev.AmendOrder):
            order = self.orders.get(out.target_id)
            if order is not None:
                order.amended = True
                self.side_intents[out.intent_id] = (out.target_id, "amend")
        elif isinstance(out, ev.CancelOrder):
            order = self.orders.get(out.target_id)
            if order is not None:
                order.cancel_sent = True
                self.side_intents[out.intent_id] = (out.target_id, "cancel")
        elif isinstance(out, ev.Register):
            self.registered.update(out.codes)
        elif isinstance(out, ev.Unregister):
            self.registered.difference_update(out.codes)
        elif isinstance(out, ev.AwaitQuote):
            self.awaiting[out.code] = Awaiting(out.code, out.seq)
        elif isinstance(out, ev.NeedQuotes):
            self.quotes_in_flight = True
            for code in out.codes:
                self.quotes_asked[code] = now
                if code in self.awaiting:
                    self.awaiting[code].requested = True
        elif isinstance(out, ev.QueryOrders):
            self.query_in_flight = True
        elif isinstance(out, ev.TrailUpdate):
            pos = self.positions.get(out.code)
            if pos is not None:
                pos.armed, pos.high = out.armed, out.high
                return [PositionChanged(out.code, "trailing")]
        elif isinstance(out, ev.SetFlag):
            self.flags[out.name] = out.reason
        return []
