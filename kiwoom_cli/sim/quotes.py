"""One stock's market state for the day: last price, OHLCV, limits, a short trade history.

The simulated order book is implied: the best ask is one tick above the last trade and the best
bid one tick below (clamped to the daily limits), each level holding `level_depth` shares.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field

from kiwoom_cli import market
from kiwoom_cli.sim.domain import InstrumentView
from kiwoom_cli.sim.instruments import InstrumentSpec

HISTORY_SECONDS = 60.0  # conditions look back at most this far
HISTORY_MAX = 400  # trades kept per stock, whatever the rate


@dataclass(slots=True)
class RecentTrade:
    t: float  # epoch seconds (from the exchange clock)
    price: int
    qty: int  # signed


@dataclass(slots=True)
class StockState:
    spec: InstrumentSpec
    base_price: int
    prev_volume: int
    price: int
    open: int = 0
    high: int = 0
    low: int = 0
    volume: int = 0
    turnover: int = 0
    last_trade_time: dt.datetime | None = None
    recent: deque = field(default_factory=lambda: deque(maxlen=HISTORY_MAX))
    limits: market.Limits = field(init=False)

    def __post_init__(self) -> None:
        self.limits = market.price_limits(self.base_price)

    @classmethod
    def fresh(cls, spec: InstrumentSpec) -> StockState:
        """Return the state of a stock before its first trade of the day."""
        return cls(spec=spec, base_price=spec.base_price, prev_volume=spec.prev_volume, price=spec.base_price)

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def best_ask(self) -> int:
        return min(self.limits.upper, market.add_ticks(self.price, 1))

    @property
    def best_bid(self) -> int:
        return max(self.limits.lower, market.add_ticks(self.price, -1))

    @property
    def level_depth(self) -> int:
        """Shares resting on each simulated price level (about 1/10,000 of a day's volume)."""
        return max(10, self.prev_volume // 10_000)

    def check_price(self, price: int) -> str | None:
        """Return why a price cannot trade today, or None when it can."""
        if not market.is_on_tick(price):
            return f"{price} is not on the tick grid (tick {market.tick_size(price)})"
        if not self.limits.contains(price):
            return f"{price} is outside today's limits {self.limits.lower}..{self.limits.upper}"
        return None

    def record(self, price: int, qty: int, when: dt.datetime) -> None:
        """Apply a trade: OHLCV, last price, and the recent-trade history."""
        self.price = price
        if self.open == 0:
            self.open = self.high = self.low = price
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.volume += abs(qty)
        self.turnover += abs(qty) * price
        self.last_trade_time = when
        t = when.timestamp()
        self.recent.append(RecentTrade(t, price, qty))
        while self.recent and self.recent[0].t < t - HISTORY_SECONDS:
            self.recent.popleft()

    def roll_day(self) -> None:
        """Start a new trading day: today's close becomes the base price."""
        self.base_price = self.price
        self.prev_volume = self.volume or self.prev_volume
        self.limits = market.price_limits(self.base_price)
        self.open = self.high = self.low = self.volume = self.turnover = 0
        self.last_trade_time = None
        self.recent.clear()

    def view(self) -> InstrumentView:
        """Return an immutable snapshot."""
        return InstrumentView(
            code=self.spec.code,
            name=self.spec.name,
            market=self.spec.market,
            base_price=self.base_price,
            price=self.price,
            open=self.open,
            high=self.high,
            low=self.low,
            volume=self.volume,
            turnover=self.turnover,
            upper_limit=self.limits.upper,
            lower_limit=self.limits.lower,
            best_ask=self.best_ask,
            best_bid=self.best_bid,
            prev_volume=self.prev_volume,
            last_trade_time=self.last_trade_time,
        )

    # ------------------------------------------------------------------ persistence

    def to_dict(self) -> dict:
        return {
            "base_price": self.base_price,
            "prev_volume": self.prev_volume,
            "price": self.price,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "volume": self.volume,
            "turnover": self.turnover,
            "last_trade_time": self.last_trade_time.isoformat() if self.last_trade_time else None,
            "recent": [[r.t, r.price, r.qty] for r in self.recent],
        }

    @classmethod
    def from_dict(cls, spec: InstrumentSpec, data: dict) -> StockState:
        last = data.get("last_trade_time")
        state = cls(
            spec=spec,
            base_price=int(data["base_price"]),
            prev_volume=int(data["prev_volume"]),
            price=int(data["price"]),
            open=int(data["open"]),
            high=int(data["high"]),
            low=int(data["low"]),
            volume=int(data["volume"]),
            turnover=int(data["turnover"]),
            last_trade_time=dt.datetime.fromisoformat(last) if last else None,
        )
        state.recent.extend(RecentTrade(float(t), int(p), int(q)) for t, p, q in data.get("recent", []))
        return state
