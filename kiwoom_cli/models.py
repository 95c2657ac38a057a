"""Our own models. Kiwoom's field names are translated to these at the API boundary (kiwoom/protocol.py).

All prices and amounts are int KRW; codes are bare 6-digit strings ("005930"); times are KST.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import NamedTuple


class Side(str, enum.Enum):
    BUY = "buy"
    SELL = "sell"


class OrderType(str, enum.Enum):
    MARKET = "market"  # trde_tp 3
    LIMIT = "limit"  # trde_tp 0 (보통)


class OrderStatus(str, enum.Enum):
    """FID 913 주문상태, translated."""

    ACCEPTED = "accepted"  # 접수
    FILLED = "filled"  # 체결 (partial or full; see remaining_qty)
    CONFIRMED = "confirmed"  # 확인 (amend/cancel confirmed)
    CANCELLED = "cancelled"  # 취소
    REJECTED = "rejected"  # 거부


class OrderAction(str, enum.Enum):
    """What an order event is about (FID 905 without the cosmetic sign)."""

    NEW = "new"
    AMEND = "amend"  # 정정
    CANCEL = "cancel"  # 취소


@dataclass(frozen=True, slots=True)
class Condition:
    seq: str
    name: str


@dataclass(frozen=True, slots=True)
class Quote:
    code: str
    name: str
    price: int  # abs(cur_prc)
    change: int  # signed 전일대비
    change_pct: float  # signed 등락율
    base_price: int  # 기준가 (prior close)
    upper_limit: int
    lower_limit: int
    open: int | None = None
    high: int | None = None
    low: int | None = None
    volume: int | None = None


@dataclass(frozen=True, slots=True)
class ConditionMatch:
    """One row of a CNSRREQ search_type 0 reply."""

    code: str
    name: str
    price: int
    change: int
    change_pct: float
    volume: int


@dataclass(frozen=True, slots=True)
class Cash:
    deposit: int  # 예수금 entr
    orderable: int  # 주문가능금액 ord_alow_amt (which field the broker checks is unverified, docs/decisions.md §7)
    d2_deposit: int  # d2_entra


@dataclass(frozen=True, slots=True)
class Holding:
    code: str
    name: str
    qty: int
    sellable_qty: int
    avg_price: int
    current_price: int
    purchase_amount: int
    eval_amount: int
    pnl: int
    return_pct: float


@dataclass(frozen=True, slots=True)
class AccountTotals:
    purchase_amount: int
    eval_amount: int
    pnl: int
    return_pct: float
    estimated_assets: int


@dataclass(frozen=True, slots=True)
class Balance:
    totals: AccountTotals
    holdings: tuple[Holding, ...]


@dataclass(frozen=True, slots=True)
class OrderAck:
    """Answer to an order request: the broker accepted it (접수), nothing more."""

    order_no: str
    orig_order_no: str | None = None


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """A row of ka10075 미체결."""

    order_no: str
    code: str
    name: str
    side: Side
    qty: int
    price: int  # 0 for market
    remaining_qty: int
    order_type: str  # broker's text: 보통, 시장가 ...
    time: str  # HHMMSS
    orig_order_no: str | None = None
    exchange: str = ""  # "KRX" | "NXT" | "SOR"; "" when the answer does not say


@dataclass(frozen=True, slots=True)
class FillRow:
    """A row of ka10076 체결."""

    order_no: str
    code: str
    name: str
    side: Side
    order_qty: int
    order_price: int
    filled_qty: int
    fill_price: int
    remaining_qty: int
    status: str  # broker's text
    time: str
    orig_order_no: str | None = None
    exchange: str = ""  # "KRX" | "NXT" | "SOR"; "" when the answer does not say


# --------------------------------------------------------------------------- socket events


class Tick(NamedTuple):
    """One 0B 주식체결 entry.

    A NamedTuple rather than a frozen dataclass: built once per tick on the reader thread, where a
    frozen dataclass's field-by-field __init__ cost 3 µs of the ~15 µs per tick (benchmarks/tick_throughput.py).
    """

    code: str
    price: int
    change: int
    change_pct: float
    qty: int  # this trade, signed: + buyer-initiated
    volume: int  # cumulative
    time: str  # HHMMSS
    received: float = 0.0  # monotonic receive time, for latency


@dataclass(frozen=True, slots=True)
class ConditionEvent:
    """A REAL type 02 push: a stock entered (I) or left (D) a condition."""

    seq: str
    code: str
    entered: bool
    time: str
    received: float = 0.0


@dataclass(frozen=True, slots=True)
class ConditionListed:
    """A condition's members as the broker lists them when the socket re-subscribes after a reconnect."""

    seq: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """A REAL type 00 주문체결 entry."""

    order_no: str
    orig_order_no: str | None
    code: str
    name: str
    side: Side
    status: OrderStatus
    action: OrderAction
    order_qty: int
    order_price: int
    remaining_qty: int
    filled_qty: int  # cumulative
    fill_price: int | None  # this fill (914), None when not a fill
    fill_qty: int | None  # this fill (915)
    time: str
    reject_reason: str | None = None
    received: float = 0.0


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    """A REAL type 04 잔고 entry."""

    code: str
    name: str
    qty: int
    sellable_qty: int
    avg_price: int
    current_price: int


@dataclass(frozen=True, slots=True)
class SocketStatus:
    """Socket lifecycle: connected/logged in, disconnected (with reason), kicked (R10001)."""

    state: str  # "connected" | "disconnected" | "kicked" | "login_failed"
    detail: str = ""


def today_kst(now: dt.datetime) -> dt.date:
    return now.date()
