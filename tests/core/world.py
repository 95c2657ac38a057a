"""A small honest broker for the property tests of the trading core (test_invariants.py).

It keeps what the kernel cannot see: which orders really reached the broker, what they filled,
how many shares are really held, and which codes a quote has given today's limits. Its 00 events
wait in an outbox (they may overtake the REST answer, as on the real socket). `check_intents`
holds every intent the kernel sends against the rules of issue 12 item 9.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from kiwoom_cli.core import events as ev
from kiwoom_cli.market import is_on_tick, price_limits
from kiwoom_cli.models import BalanceEvent, FillRow, OpenOrder, OrderAction, OrderEvent, OrderStatus, OrderType, Side

BASES = {"000010": 1_995, "000020": 48_000, "000030": 480_000}  # limits across tick bands
LIMITS = {code: price_limits(base) for code, base in BASES.items()}


@dataclass
class Number:
    no: str
    qty: int
    price: int
    cum: int = 0
    orig: str | None = None


@dataclass
class WOrder:
    """One place intent as the broker saw it: "sent" (not at the broker yet), "placed", "dead"."""

    intent: ev.PlaceOrder
    status: str = "sent"
    numbers: list[Number] = field(default_factory=list)
    remaining: int = 0
    alive: bool = False  # placed and not filled, cancelled or rejected
    answered: bool = False  # the REST answer went to the kernel

    @property
    def current(self) -> Number:
        return self.numbers[-1]

    @property
    def live(self) -> bool:
        """Could still trade: not answered yet, or alive at the broker."""
        return self.status == "sent" or self.alive


class World:
    def __init__(self, holdings: dict[str, int]) -> None:
        self.held = dict.fromkeys(BASES, 0) | holdings
        self.orders: dict[str, WOrder] = {}
        self.side: dict[str, tuple[ev.AmendOrder | ev.CancelOrder, str]] = {}  # intent -> (intent, status)
        self.outbox: deque[OrderEvent] = deque()
        self.outbox04: deque[BalanceEvent] = deque()  # the 04 line of each fill: in order, but not with the 00s
        self.quoted: set[str] = set()  # codes a quote has given today's limits
        self.quote_request: tuple[str, ...] | None = None
        self.fills_seen: int | None = None
        self._nos = itertools.count(1)

    # ------------------------------------------------------------------ what the kernel sent

    def record(self, intents: list) -> None:
        for i in intents:
            if isinstance(i, ev.PlaceOrder):
                self.orders[i.intent_id] = WOrder(i, remaining=i.qty)
            elif isinstance(i, (ev.AmendOrder, ev.CancelOrder)):
                self.side[i.intent_id] = (i, "sent")
            elif isinstance(i, ev.NeedQuotes):
                self.quote_request = i.codes
            elif isinstance(i, ev.RefreshCash):
                self.fills_seen = i.fills_seen

    def live_sells(self, code: str) -> list[WOrder]:
        return [o for o in self.orders.values() if o.intent.side is Side.SELL and o.intent.code == code and o.live]

    def sell_remaining(self, code: str) -> int:
        return sum(o.remaining for o in self.live_sells(code))

    # ------------------------------------------------------------------ the broker acts

    def place(self, o: WOrder) -> str:
        no = f"{next(self._nos):07d}"
        o.status, o.alive = "placed", True
        o.numbers.append(Number(no, o.intent.qty, o.intent.price or 0))
        self._emit(o, OrderStatus.ACCEPTED, OrderAction.NEW)
        return no

    def fill(self, o: WOrder, qty: int, price: object) -> None:
        n = o.current
        n.cum += qty
        o.remaining -= qty
        o.alive = o.remaining > 0
        self.held[o.intent.code] += qty if o.intent.side is Side.BUY else -qty
        self._emit(o, OrderStatus.FILLED, self._action(o), fill_price=price, fill_qty=qty)
        self.outbox04.append(self.balance_line(o.intent.code, BASES[o.intent.code]))

    def balance_line(self, code: str, price: int) -> BalanceEvent:
        """The 04 line for a code as the broker holds it now."""
        on_sale = sum(o.remaining for o in self.live_sells(code) if o.alive)
        return BalanceEvent(code, f"N{code}", self.held[code], self.held[code] - on_sale, BASES[code], price)

    def reject(self, o: WOrder) -> None:
        o.alive = False
        self._emit(o, OrderStatus.REJECTED, OrderAction.NEW, reason="거부")

    def amend(self, o: WOrder, a: ev.AmendOrder) -> str:
        no = f"{next(self._nos):07d}"
        o.numbers.append(Number(no, o.remaining, a.price, orig=o.current.no))
        self._emit(o, OrderStatus.ACCEPTED, OrderAction.AMEND)
        return no

    def cancel(self, o: WOrder) -> str:
        no = f"{next(self._nos):07d}"
        cancelled, o.remaining, o.alive = o.remaining, 0, False
        n = o.current
        i = o.intent
        self.outbox.append(OrderEvent(no, n.no, i.code, i.name, i.side, OrderStatus.CONFIRMED, OrderAction.CANCEL,
                                      cancelled, 0, 0, 0, None, None, "100000", None))
        return no

    def _action(self, o: WOrder) -> OrderAction:
        return OrderAction.AMEND if o.current.orig else OrderAction.NEW

    def _emit(self, o: WOrder, status: OrderStatus, action: OrderAction, *, fill_price=None, fill_qty=None,
              reason=None) -> None:
        n, i = o.current, o.intent
        remaining = n.qty - n.cum
        self.outbox.append(OrderEvent(n.no, n.orig, i.code, i.name, i.side, status, action, n.qty, n.price,
                                      remaining, n.cum, fill_price, fill_qty, "100000", reason))

    def queried(self) -> ev.OrdersQueried:
        """ka10075 + ka10076 as the broker would answer now."""
        opens, fills = [], []
        for o in self.orders.values():
            i = o.intent
            if o.alive:
                n = o.current
                opens.append(OpenOrder(n.no, i.code, i.name, i.side, n.qty, n.price, n.qty - n.cum,
                                       "보통" if n.price else "시장가", "100000", n.orig))
            for n in o.numbers:
                if n.cum:
                    fills.append(FillRow(n.no, i.code, i.name, i.side, n.qty, n.price, n.cum,
                                         n.price or i.ref_price or BASES[i.code], n.qty - n.cum, "체결", "100000",
                                         n.orig))
        return ev.OrdersQueried(tuple(opens), tuple(fills))


# --------------------------------------------------------------------------- the rules held


def check_price(world: World, what: str, code: str, price: int, grid: bool = True) -> None:
    """An order price: after a quote gave today's limits, inside them, on the KRX grid."""
    assert code in world.quoted, f"{what}: {code} priced at {price} before a quote gave today's limits"
    lim = LIMITS[code]
    assert lim.lower <= price <= lim.upper, f"{what}: {code} at {price} outside {lim.lower}..{lim.upper}"
    assert not grid or is_on_tick(price), f"{what}: {code} at {price} off the tick grid"


def check_intents(world: World, before, s, intents: list) -> None:
    """Hold the intents of one turn against the invariants; `before` is the state's snapshot before it."""
    cap = s.max_order_value if s.max_order_value is not None else 2 * s.buy_amount
    cash = before.available_cash()
    new_buys: list[str] = []
    new_sells: set[str] = set()
    world_open = {o.intent.code for o in world.orders.values() if o.intent.side is Side.BUY and o.live}
    world_open |= {c for c, p in before.positions.items() if p.managed and world.held[c] > 0}
    for i in intents:
        if isinstance(i, ev.AmendOrder):
            check_price(world, "amend", i.code, i.price)
            continue
        if not isinstance(i, ev.PlaceOrder):
            continue
        assert i.qty > 0, f"order of {i.qty} shares"
        if i.price is not None:
            check_price(world, f"{i.side.value} {i.rule}", i.code, i.price)
        if i.side is Side.SELL:
            assert not world.live_sells(i.code) and i.code not in new_sells, f"two live sells of {i.code}"
            new_sells.add(i.code)
            held = world.held[i.code]
            assert i.qty <= held - world.sell_remaining(i.code), f"sells {i.qty} of {i.code}, {held} held"
            continue
        lim = LIMITS[i.code]
        if i.origin == "run":
            check_price(world, "buy reference", i.code, i.ref_price, grid=False)
            assert i.qty * lim.lower <= s.buy_amount, f"buys {i.qty} of {i.code}: past buy_amount at the lower limit"
            value = i.qty * (i.price or i.ref_price)
            assert value <= cap, f"buy of {value:,} above the cap {cap:,}"
            new_buys.append(i.code)
            assert len(world_open | set(new_buys)) <= s.max_positions, f"past max_positions: {world_open}, {new_buys}"
            assert before.open_count() + len(new_buys) <= s.max_positions, "past max_positions (state)"
        worst = lim.upper if i.order_type is OrderType.MARKET or s.amend_after_s is not None else i.price
        assert i.reserve >= i.qty * worst, f"reserve {i.reserve:,} below the worst cost of {i.qty} x {worst:,}"
        assert cash is not None and i.reserve <= cash, f"buy reserves {i.reserve:,}, {cash} available"
        cash -= i.reserve


def check_state(world: World, state) -> None:
    """After every event: one live sell per position, never more on sale than held."""
    for code, pos in state.positions.items():
        sells = [o for o in state.orders.values() if o.side is Side.SELL and o.code == code]
        assert len(sells) <= 1, f"{len(sells)} live sells of {code}"
        assert pos.sellable >= 0 and pos.sellable + sum(o.remaining for o in sells) <= pos.qty, (
            f"{code}: sellable {pos.sellable} + on sale {[o.remaining for o in sells]} > held {pos.qty}")
    for code in BASES:
        assert len(world.live_sells(code)) <= 1, f"two live sells of {code} at the broker"
        assert world.held[code] >= 0, f"{code}: sold {-world.held[code]} more than held"
        assert world.sell_remaining(code) <= world.held[code], f"more of {code} on sale than held"
