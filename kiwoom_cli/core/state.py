"""Trading state: positions, pending orders, prices, cash and day P&L. Owned by one thread, no locks.

`apply(event, now)` records facts from the broker and workers; `apply_output(out, now)` records what
the strategy decided (a pending order, an armed trailing stop ...). Both return change notes the
engine journals. The strategy reads the live State (zero copy, read-only by contract) or a
`snapshot()` (frozen, for the dashboard and tests); both expose the same names. An order's facts
(its answer, 00 frames, fills) are applied by core/order_flow.py, which alone moves its state.
"""

from __future__ import annotations

import datetime as dt
import logging

from kiwoom_cli.core import events as ev
from kiwoom_cli.core import order_flow, prices, retry
from kiwoom_cli.core.catchup import Membership
from kiwoom_cli.core.reads import Reads
from kiwoom_cli.core.records import (
    Awaiting,
    FillFlagged,
    Mark,
    Order,
    OrderRecheck,
    Position,
    PositionChanged,
)
from kiwoom_cli.core.settle import settle
from kiwoom_cli.core.snapshot import Snapshot, take
from kiwoom_cli.market import CostRates
from kiwoom_cli.models import (
    BalanceEvent,
    OrderEvent,
    Tick,
)

_MAX_ORPHANS = order_flow._MAX_ORPHANS
log = logging.getLogger(__name__)
QUERY_BACKOFF_S = 5.0


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
        self.closed: dict[str, Order] = {}  # orders closed lately, by intent id: late fills (core/order_flow.py)
        self.closed_by_no: dict[str, str] = {}  # their order numbers -> intent id
        self.unexpected = 0  # order moves the state table did not expect (core/order_states.py)
        self.requery: OrderRecheck | None = None  # one seen while a query was in flight: ask again after it
        self.settling: dict[str, str] = {}  # code -> an order cancelled lately, until a query shows its fills

    # ------------------------------------------------------------------ views

    def snapshot(self, settings=None, recent=None) -> Snapshot:
        """Return a frozen copy for another thread or a test (core/snapshot.py); settings add the
        exit prices, recent (the engine's core/recent.Recent) the log, conditions, socket and latency."""
        return take(self, settings, recent)

    # ------------------------------------------------------------------ facts in

    def apply(self, event: object, now: dt.datetime) -> list:
        """Record an inbound event; return change notes (fills, position and order changes, dropped prices)."""
        self.today = now.date()
        if isinstance(event, Tick):
            return prices.take_tick(self, event, now)
        self.members.apply(event, now)
        if isinstance(event, OrderEvent):
            return order_flow.order_event(self, event)
        if isinstance(event, BalanceEvent):
            return self._balance(event)
        if isinstance(event, (ev.OrderRefused, *ev.ORDER_OUTCOMES)):
            return self._answer(event, now)
        if isinstance(event, (ev.OrdersQueried, ev.QueryFailed)):
            return self._queried(event, now)
        if isinstance(event, ev.QuotesArrived):
            notes: list = []
            for q in event.quotes:
                notes += prices.take_quote(self, q, now)
            self._take_priced(event.requested)
            return notes
        if isinstance(event, ev.QuotesFailed):
            self._take_priced(event.codes)
        elif isinstance(event, ev.CashUpdated):
            self.cash = event.cash.orderable
            seen = event.fills_seen
            self.spent = {} if seen is None else {s: a for s, a in self.spent.items() if s > seen}
        elif isinstance(event, (ev.Pause, ev.SellAll)):  # sell all pauses buying too (docs/decisions.md §7)
            self.paused = True
        elif isinstance(event, ev.Resume):
            self.paused = False
        return []

    def _answer(self, event, now: dt.datetime) -> list:
        """The answer to an order request: a refusal (retried if rate-limited), acked, failed, unknown."""
        if isinstance(event, ev.OrderRefused):
            intent = self.sent.get(event.intent_id)
            if intent is not None and event.kind == ev.REFUSED_RATE:
                retry.refused(self.retries, intent, event, now)
            return []
        self.sent.pop(event.intent_id, None)
        self.retries.pop(event.intent_id, None)
        if isinstance(event, ev.OrderAcked):
            return order_flow.acked(self, event.intent_id, event.order_no)
        if isinstance(event, ev.OrderFailed):
            return order_flow.failed(self, event.intent_id, event.reason)
        return order_flow.unknown(self, event.intent_id, now)

    def _queried(self, event, now: dt.datetime) -> list:
        self.query_in_flight = False
        if isinstance(event, ev.QueryFailed):  # a recheck waiting for an answer waits for the next one
            self.query_retry_at = now + dt.timedelta(seconds=QUERY_BACKOFF_S)
            return []
        self.query_retry_at = None
        again, self.requery = self.requery, None  # an unexpected move seen while this query was in flight
        if again is None:
            self.settling.clear()  # the fills that raced a cancel are in this answer
        return settle(self, event, now) + ([again] if again else [])

    def _take_priced(self, codes) -> None:
        self.quotes_in_flight = False
        wanted = set(codes)
        self.priced = tuple(a for a in self.awaiting.values() if a.code in wanted)
        for a in self.priced:
            del self.awaiting[a.code]

    def attach(self, intent_id: str, order_no: str) -> list:
        """Give an unknown order the number a query found for it."""
        return order_flow.attach(self, intent_id, order_no)

    def apply_fill(self, order: Order, order_no: str, qty: int, price: int, name: str = "") -> list:
        """Apply `qty` shares filled at `price` to the position (core/order_flow.py)."""
        return order_flow.apply_fill(self, order, order_no, qty, price, name)

    def _balance(self, b: BalanceEvent) -> list:
        # 04 is the broker's truth, but only once our own orders for the code are done: it can
        # arrive before the 00 fill it reflects, and the fill would then be counted twice.
        # So is a 04 after a cancel, until a query shows the fills that raced it (core/order_flow.py).
        if b.code in self.settling or any(o.code == b.code for o in self.orders.values()):
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
        if isinstance(out, (*ev.ORDER_INTENTS, ev.RetryOrder, ev.GiveUp)):
            return self._order_output(out, now)
        if isinstance(out, ev.Register):
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

    def _order_output(self, out, now: dt.datetime) -> list:
        if isinstance(out, ev.RetryOrder):
            return retry.retrying(self, out.intent)
        if isinstance(out, ev.GiveUp):
            return self.apply(ev.OrderFailed(out.intent_id, out.reason, out.error_code), now)
        if isinstance(out, ev.PlaceOrder):
            return order_flow.placed(self, out, now)
        return order_flow.change_sent(self, out)
