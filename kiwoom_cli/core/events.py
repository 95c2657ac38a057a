"""Events into the engine, intents out of the strategy, and the STOP sentinel.

Inbound: the socket reader puts kiwoom_cli.models events (Tick, ConditionEvent, OrderEvent,
BalanceEvent, SocketStatus) on the engine queue as they are; workers and the user add the types below.
Outbound: the strategy returns intents (for workers), state updates (for State.apply_output) and
Decisions (for the journal and the dashboard). Time never travels inside these: it arrives as `now`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiwoom_cli.models import (
    BalanceEvent,
    Cash,
    ConditionEvent,
    FillRow,
    OpenOrder,
    OrderEvent,
    OrderType,
    Quote,
    Side,
    SocketStatus,
    Tick,
)

# --------------------------------------------------------------------------- inbound


@dataclass(frozen=True, slots=True)
class QuotesArrived:
    """The REST worker priced codes (one ka10095 request); codes with no row are simply absent."""

    quotes: tuple[Quote, ...]
    requested: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuotesFailed:
    codes: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class CashUpdated:
    """kt00001 answered. fills_seen: State.fill_seq when the request left (fills after it still count)."""

    cash: Cash
    fills_seen: int | None = None


@dataclass(frozen=True, slots=True)
class OrderAcked:
    """The broker accepted (접수) a place/amend/cancel intent and gave it an order number."""

    intent_id: str
    order_no: str


@dataclass(frozen=True, slots=True)
class OrderFailed:
    """The request was refused and nothing was placed (rejected, rate-limited, not sent)."""

    intent_id: str
    reason: str
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class OrderRefused:
    """A recognised refusal: nothing was placed, so the order may be sent again (not an outcome).

    kind: REFUSED_RATE (a rate limit: the strategy resends it at the next slot, or gives up) or
    REFUSED_TOKEN (the worker has already sent it once more with a fresh token: `resent`).
    """

    intent_id: str
    reason: str
    error_code: str | None
    kind: str
    resent: bool = False


REFUSED_RATE, REFUSED_TOKEN = "rate_limited", "token_refused"


@dataclass(frozen=True, slots=True)
class OrderUnknown:
    """The request may have reached the broker (timeout after send): settle it by a query, never resend."""

    intent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrdersQueried:
    """ka10075 + ka10076 answered (to settle unknown orders)."""

    open_orders: tuple[OpenOrder, ...]
    fills: tuple[FillRow, ...]


@dataclass(frozen=True, slots=True)
class QueryFailed:
    """The settle query (ka10075/ka10076) failed; it is retried after a back-off."""

    reason: str


@dataclass(frozen=True, slots=True)
class BadAnswer:
    """A query's answer was malformed after the client's retries (codec.ProtocolError): buying halts."""

    api_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class TimerFired:
    """The earliest deadline the engine waited for passed (amend, liquidate_at, settle-unknown ...)."""


@dataclass(frozen=True, slots=True)
class Idle:
    """The engine's queue is empty: the moment to send the batched quote request."""


@dataclass(frozen=True, slots=True)
class Pause:
    """User: stop opening positions (exits keep working)."""


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class SellCode:
    """User: sell the whole sellable quantity of one code (works outside the window)."""

    code: str


@dataclass(frozen=True, slots=True)
class SellAll:
    pass


@dataclass(frozen=True, slots=True)
class StopRun:
    """User: end the run (the engine then puts STOP on every queue)."""


class _Stop:
    def __repr__(self) -> str:
        return "STOP"


STOP = _Stop()  # put on a queue to make its consumer return

Event = (  # what the engine queue carries (besides STOP)
    Tick
    | ConditionEvent
    | OrderEvent
    | BalanceEvent
    | SocketStatus
    | QuotesArrived
    | QuotesFailed
    | CashUpdated
    | OrderAcked
    | OrderFailed
    | OrderUnknown
    | OrderRefused
    | OrdersQueried
    | QueryFailed
    | BadAnswer
    | TimerFired
    | Idle
    | Pause
    | Resume
    | SellCode
    | SellAll
    | StopRun
)

# --------------------------------------------------------------------------- outbound: for workers


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """A new order. price None = market. upper/lower: the day's limits used for amend and reservation."""

    intent_id: str
    side: Side
    code: str
    qty: int
    price: int | None
    order_type: OrderType
    rule: str  # "buy_cond", "stop_loss", "trailing", "sell_cond", "liquidate_at", "max_daily_loss", "manual"
    origin: str  # "run" | "manual"
    name: str = ""
    ref_price: int = 0  # the price the decision used
    upper: int = 0
    lower: int = 0
    reserve: int = 0  # KRW held against orderable cash while pending (buys)


@dataclass(frozen=True, slots=True)
class AmendOrder:
    intent_id: str
    target_id: str  # the PlaceOrder intent being amended
    order_no: str
    code: str
    qty: int  # remaining
    price: int


@dataclass(frozen=True, slots=True)
class CancelOrder:
    intent_id: str
    target_id: str
    order_no: str
    code: str
    qty: int = 0  # 0 = all remaining


@dataclass(frozen=True, slots=True)
class RetryOrder:
    """Send a rate-limited intent again (`attempt` counts every try), priced and checked anew."""

    intent: PlaceOrder | AmendOrder | CancelOrder
    attempt: int


@dataclass(frozen=True, slots=True)
class GiveUp:
    """A rate-limited intent is not sent again: it ends "not sent" (the order worker stops holding
    the orders that arrived behind it)."""

    intent_id: str
    reason: str
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class Register:
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegisterFailed:
    """The broker refused (or never acknowledged) a 0B registration: no live prices for these codes,
    so their stop-loss and trailing stop cannot fire until a retry succeeds."""

    codes: tuple[str, ...]
    reason: str
    retry_in_s: float


@dataclass(frozen=True, slots=True)
class Unregister:
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NeedQuotes:
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueryOrders:
    """Ask ka10075/ka10076 to settle unknown orders."""

    reason: str


@dataclass(frozen=True, slots=True)
class RefreshCash:
    fills_seen: int


# --------------------------------------------------------------------------- outbound: state updates


@dataclass(frozen=True, slots=True)
class AwaitQuote:
    """A buy-condition entry passed the pre-checks but has no price yet."""

    code: str
    seq: str


@dataclass(frozen=True, slots=True)
class TrailUpdate:
    code: str
    armed: bool
    high: int


@dataclass(frozen=True, slots=True)
class SetFlag:
    """A once-a-day switch: "liquidated" (liquidate_at done), "max_loss" (buying halted)."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule's verdict, journaled and shown: action is buy/sell/amend/cancel/arm/skip/deny/halt/info."""

    rule: str
    code: str | None
    action: str
    reason: str


Intent = PlaceOrder | AmendOrder | CancelOrder | RetryOrder | GiveUp | Register | Unregister | NeedQuotes | QueryOrders | RefreshCash
Output = Intent | AwaitQuote | TrailUpdate | SetFlag | Decision
ORDER_INTENTS = (PlaceOrder, AmendOrder, CancelOrder)
ORDER_OUTCOMES = (OrderAcked, OrderFailed, OrderUnknown)  # the answer to an order request
