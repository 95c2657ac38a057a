"""The seeded random walk that makes the simulated market trade.

Each trade picks a stock (by weight), moves its price on the tick grid inside the daily limits and
draws a size and an aggressor side. Prices follow a mean-reverting walk with trend regimes: a
stock now and then starts drifting up or down for a few dozen trades, which is what lets
momentum conditions fire and positions move a few % within a minute (docs/decisions.md §4).
Deterministic for a given seed: every draw comes from one random.Random, in a fixed order.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from kiwoom_cli import market
from kiwoom_cli.sim.quotes import StockState

REGIME_SWITCH_P = 0.04  # chance per trade of a stock that its trend regime changes
TREND_STRENGTH = 0.55  # drift of a trending regime, in units of the stock's per-trade volatility
REVERSION = 0.004  # pull back toward the base price per trade, per unit of log distance
BURST_P = 0.03  # chance that a trade is a block (volume burst)


@dataclass(frozen=True, slots=True)
class GeneratedTrade:
    code: str
    price: int
    qty: int  # signed: + buyer-initiated, - seller-initiated


class PriceGen:
    """Draw trades for a set of stocks from one seeded RNG."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.regimes: dict[str, int] = {}  # code -> -1 (down) / 0 (flat) / +1 (up)

    def next_trade(self, stocks: list[StockState]) -> GeneratedTrade:
        """Draw the next trade of the market (the caller records it)."""
        rng = self.rng
        stock = rng.choices(stocks, weights=[s.spec.weight for s in stocks])[0]
        code = stock.code
        regime = self.regimes.get(code, 0)
        if rng.random() < REGIME_SWITCH_P:
            regime = rng.choice((-1, 0, 1))
            self.regimes[code] = regime
        sigma = stock.spec.volatility
        log_dist = math.log(stock.price / stock.base_price)
        mu = regime * TREND_STRENGTH * sigma - REVERSION * log_dist
        move = rng.gauss(mu, sigma)
        price = self.move_price(stock, move)
        qty = self.draw_size(stock, price, move)
        return GeneratedTrade(code=code, price=price, qty=qty)

    @staticmethod
    def move_price(stock: StockState, move: float) -> int:
        """Return the grid price `move` (a fraction) away from the last price, inside the limits."""
        target = stock.price * (1.0 + move)
        ticks = round((target - stock.price) / market.tick_size(stock.price))
        price = market.add_ticks(stock.price, ticks) if ticks else stock.price
        return stock.limits.clamp(price)

    def draw_size(self, stock: StockState, price: int, move: float) -> int:
        """Return a signed trade size: buyer-initiated on upticks, seller-initiated on downticks."""
        rng = self.rng
        mean = max(1, stock.prev_volume // 12_000)
        size = max(1, int(rng.expovariate(1.0 / mean)))
        if rng.random() < BURST_P:
            size *= rng.randint(5, 12)
        if price > stock.price:
            sign = 1
        elif price < stock.price:
            sign = -1
        else:
            sign = 1 if move >= 0 else -1
        return sign * size

    # ------------------------------------------------------------------ persistence

    def to_state(self) -> dict | None:
        """Return the RNG and regimes as JSON data, or None when unseeded (nothing to continue)."""
        if self.seed is None:
            return None
        version, internal, gauss_next = self.rng.getstate()
        return {
            "seed": self.seed,
            "rng": [version, list(internal), gauss_next],
            "regimes": dict(self.regimes),
        }

    @classmethod
    def from_state(cls, state: dict | None, seed: int | None) -> PriceGen:
        """Restore a generator saved by to_state; a missing or other-seed state starts afresh."""
        gen = cls(seed)
        if state and seed is not None and state.get("seed") == seed:
            version, internal, gauss_next = state["rng"]
            gen.rng.setstate((version, tuple(internal), gauss_next))
            gen.regimes = {str(k): int(v) for k, v in state.get("regimes", {}).items()}
        return gen
