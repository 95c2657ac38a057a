"""The simulated exchange's own data: views it hands out and events it emits.

This is the contract between the exchange (market model, matching, accounts, conditions; pure,
no asyncio, no wire format) and the server (aiohttp REST + WebSocket, which encodes these into
Kiwoom's wire format in sim/wire.py). Nothing here knows Kiwoom's field names.
All prices and amounts are int KRW; times are aware datetimes in KST from the injected Clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Union

SideName = Literal["buy", "sell"]
Market = Literal["KOSPI", "KOSDAQ"]


# --------------------------------------------------------------------------- errors


class SimError(Exception):
    """Base for errors the server turns into a Kiwoom error envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


class SimAuthError(SimError):
    """rc 3: 8001 bad keys, 8005 bad/expired token, 8020 keys missing."""


class SimInputError(SimError):
    """rc 2 (input): 1511 missing field, 1517 bad format, 1902 unknown code."""


class SimRejection(SimError):
    """rc 20 back-office rejection, sent as `[2000](<code>:<message>)`, e.g.
    code "RC4003" message "모의투자 호가단위 오류입니다." (captured mock wording: tests/fixtures/kiwoom/errors/rc20-2000-RC4003.json)."""


# --------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class InstrumentView:
    code: str  # "005930"
    name: str  # "삼성전자"
    market: Market
    base_price: int  # 기준가 (prior close)
    price: int  # last trade
    open: int  # 0 before the first trade
    high: int
    low: int
    volume: int  # cumulative shares today
    turnover: int  # cumulative KRW today
    upper_limit: int
    lower_limit: int
    best_ask: int
    best_bid: int
    prev_volume: int  # prior day's volume (for volume-ratio conditions and ka10007)
    last_trade_time: dt.datetime | None = None

    @property
    def change(self) -> int:
        return self.price - self.base_price

    @property
    def change_pct(self) -> float:
        return round((self.price - self.base_price) / self.base_price * 100, 2)


@dataclass(frozen=True, slots=True)
class OrderView:
    order_no: str  # 7 digits, "0000138"
    orig_order_no: str  # "0000000" for a new order; the amended/cancelled order otherwise
    account_no: str  # 10 digits
    code: str
    name: str
    side: SideName
    kind: Literal["new", "amend", "cancel"]
    trde_tp: str  # as sent: "0" limit, "3" market, ...
    qty: int  # 주문수량
    price: int  # 0 for market
    filled_qty: int  # cumulative
    filled_amount: int  # cumulative KRW (체결누계금액)
    remaining_qty: int  # 미체결
    status: Literal["접수", "체결", "확인", "취소", "거부"]
    time: dt.datetime
    commission: int = 0  # today's commission on this order so far
    tax: int = 0
    venue: str = "KRX"  # dmst_stex_tp: KRX | NXT | SOR


@dataclass(frozen=True, slots=True)
class FillView:
    fill_no: str
    order_no: str
    orig_order_no: str
    code: str
    name: str
    side: SideName
    trde_tp: str
    order_qty: int
    order_price: int
    price: int
    qty: int
    remaining_qty: int  # of the order after this fill
    time: dt.datetime
    commission: int
    tax: int


@dataclass(frozen=True, slots=True)
class HoldingView:
    code: str
    name: str
    qty: int
    sellable_qty: int  # qty minus shares tied up in open sell orders
    avg_price: int
    purchase_amount: int
    current_price: int
    base_price: int
    today_buy_qty: int
    today_sell_qty: int
    purchase_commission: int


@dataclass(frozen=True, slots=True)
class AccountView:
    account_no: str
    app_key: str = field(repr=False)  # never sent on the wire; the server routes by it
    deposit: int  # 예수금 (cash after settled buys and sells)
    orderable: int  # deposit minus cash reserved by open buy orders
    holdings: tuple[HoldingView, ...]
    realized_pnl: int


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class TradePrint:
    """A trade on the simulated market (→ REAL 0B to subscribers of `code`)."""

    code: str
    price: int
    qty: int  # signed: + buyer-initiated, - seller-initiated
    time: dt.datetime
    instrument: InstrumentView  # state right after this trade


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order lifecycle step for one account (→ REAL 00 to that account's sockets)."""

    account_no: str
    app_key: str = field(repr=False)
    order: OrderView  # state after this step
    status: Literal["접수", "체결", "확인", "취소", "거부"]
    fill: FillView | None = None  # set when status == "체결"
    reject_reason: str = ""


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """A holding changed for one account (→ REAL 04 to that account's sockets)."""

    account_no: str
    app_key: str = field(repr=False)
    holding: HoldingView  # qty 0 when the position was closed
    today_net_buy_qty: int
    side: SideName  # side of the fill that caused it


@dataclass(frozen=True, slots=True)
class ConditionChange:
    """A stock entered ("I") or left ("D") a named condition (→ REAL 02 to subscribers of `seq`)."""

    seq: str
    code: str
    event: Literal["I", "D"]
    time: dt.datetime


SimEvent = Union[TradePrint, OrderUpdate, PositionUpdate, ConditionChange]


@dataclass(frozen=True, slots=True)
class ConditionDef:
    seq: str
    name: str
    purpose: str  # one line for the README: what it selects


@dataclass(slots=True)
class SimConfig:
    """Everything the exchange is configured with (from `kiwoom sim` options, [sim] or tests)."""

    seed: int | None = None
    cash: int = 100_000_000
    fixed_keys: tuple[str, str] | None = None  # only this (appkey, secretkey) logs in
    static: bool = False  # prices move only when told to
    always_open: bool = True  # continuous trading whatever the clock says
    tick_rate: float = 20.0  # trades per second across the market (server timer drives step())
    token_lifetime_s: float = 24 * 3600
    rate_limit: tuple[float, int] | None = (1.0, 2)  # per api-id (rate/s, burst); None = off
    state_path: str | None = None  # JSON file for persistence; None = in memory
    extra: dict = field(default_factory=dict)
