"""Mutable trading records owned by the engine thread, their frozen views, and change notes.

`@dataclass(slots=True)` rather than pandas: ~1 µs per tick instead of ~250 (measured).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import NamedTuple

from kiwoom_cli.core.order_states import OrderState
from kiwoom_cli.models import OrderType, Side


@dataclass(slots=True)
class Position:
    code: str
    name: str
    qty: int
    sellable: int
    avg_price: float
    price: int = 0
    return_pct: float = 0.0
    armed: bool = False  # trailing stop armed
    high: int = 0  # highest price since arming
    sell_intent: str | None = None  # the one live sell
    managed: bool = True  # False: a holding shown but not traded (adopt_holdings off)


@dataclass(slots=True)
class Order:
    intent_id: str
    side: Side
    code: str
    qty: int
    price: int | None  # None = market
    order_type: OrderType
    rule: str
    origin: str
    created: dt.datetime
    name: str = ""
    upper: int = 0
    lower: int = 0
    reserve: int = 0  # KRW held against cash for the whole qty (buys)
    order_no: str | None = None
    numbers: dict[str, str] = field(default_factory=dict)  # order no -> "new" | "amend" | "cancel"
    filled_by_no: dict[str, int] = field(default_factory=dict)  # cumulative fill per order no
    remaining: int = -1  # -1: not given, the whole qty
    filled: int = 0
    amended: bool = False  # an amend was sent (a fact about requests, not a state: order_states.py)
    cancel_sent: bool = False  # a cancel was sent (idem)
    state: OrderState = OrderState.PENDING  # moved only by order_flow.move() (order_states.TABLE)
    unknown_since: dt.datetime | None = None
    missing_since: dt.datetime | None = None  # first broker query that did not show it (settle.py)

    def __post_init__(self) -> None:
        if self.remaining < 0:
            self.remaining = self.qty

    @property
    def unknown(self) -> bool:
        return self.state is OrderState.UNKNOWN

    @property
    def reserved_now(self) -> int:
        """KRW still held for the unfilled part (buys only)."""
        return reserved_for(self)


class Mark(NamedTuple):
    """Latest price known for a code, with the day's limits (from a tick or a quote).

    Immutable (snapshots share it across threads) and rebuilt on every tick: a NamedTuple builds
    in a third of a frozen dataclass's time.
    """

    price: int
    upper: int
    lower: int
    base: int
    at: dt.datetime
    name: str = ""
    quoted: dt.date | None = None  # the day a quote gave upper/lower; no other day's price counts


@dataclass(slots=True)
class Awaiting:
    code: str
    seq: str
    requested: bool = False


# ---------------------------------------------------------------- frozen views for snapshot()


@dataclass(frozen=True, slots=True)
class PositionView:
    code: str
    name: str
    qty: int
    sellable: int
    avg_price: float
    price: int
    return_pct: float
    armed: bool
    high: int
    sell_intent: str | None
    managed: bool


@dataclass(frozen=True, slots=True)
class OrderView:
    intent_id: str
    side: Side
    code: str
    qty: int
    price: int | None
    order_type: OrderType
    rule: str
    origin: str
    created: dt.datetime
    name: str
    upper: int
    lower: int
    reserve: int
    order_no: str | None
    numbers: dict[str, str]  # the view's own copies (freeze): never the live order's dicts
    filled_by_no: dict[str, int]
    remaining: int
    filled: int
    amended: bool
    cancel_sent: bool
    state: OrderState
    unknown_since: dt.datetime | None
    missing_since: dt.datetime | None

    @property
    def reserved_now(self) -> int:
        return reserved_for(self)

    @property
    def unknown(self) -> bool:
        return self.state is OrderState.UNKNOWN


def reserved_for(order) -> int:
    """KRW still held against cash for an order's unfilled part (buys only): one rule for the
    live record and its frozen view."""
    if order.side is not Side.BUY or order.qty <= 0:
        return 0
    return order.reserve * order.remaining // order.qty


@dataclass(frozen=True, slots=True)
class AwaitingView:
    code: str
    seq: str
    requested: bool


def freeze(obj, view_cls):
    """Copy the fields view_cls names from a mutable record into the frozen view (dicts copied, so
    the view never changes with the record: snapshots and facts cross threads)."""
    values = (getattr(obj, f.name) for f in fields(view_cls))
    return view_cls(*(dict(v) if type(v) is dict else v for v in values))


# ---------------------------------------------------------------- change notes (for the journal)


@dataclass(frozen=True, slots=True)
class FillApplied:
    intent_id: str
    order_no: str
    code: str
    side: Side
    qty: int
    price: int
    realised: float  # P&L of this fill after costs (sells), 0 for buys


@dataclass(frozen=True, slots=True)
class PositionChanged:
    code: str
    reason: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class OrderClosed:
    intent_id: str
    status: OrderState  # a closed state
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderRecheck:
    """An order moved in a way the state table does not expect: ask the broker (order_flow.py)."""

    intent_id: str
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class PriceDropped:
    """A tick, quote or balance price that did not count (core/prices.py); first: the code's first."""

    code: str
    price: object
    reason: str
    first: bool
    wants_quote: bool = False  # no limits for today yet: a quote would give them


@dataclass(frozen=True, slots=True)
class FillFlagged:
    """A fill applied at `used` because its own price `raw` was implausible; checked over REST."""

    order_no: str
    code: str
    side: Side
    qty: int
    raw: object
    used: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrderSettled:
    """An unknown order was found at the broker under this number."""

    intent_id: str
    order_no: str
